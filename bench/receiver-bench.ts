import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadReceiverConfig } from '../src/config/receiver-config.js';
import { resolveConcurrency } from '../src/config/receiver-memory.js';
import { loadSinkConfig } from '../src/config/sink-config.js';
import { createSink } from '../src/io/sink.js';
import { silentLogger } from '../src/observability/logger.js';
import { gunzipBody } from '../src/receiver/body.js';
import { detectMemoryLimitBytes } from '../src/receiver/memory-limit.js';
import { requestPins } from '../src/receiver/request-pins.js';
import { deliverFirehoseRequest } from '../src/receiver/service.js';
import { gitDescription } from './machine.js';
import {
  type BodySetIndex,
  type BodySpec,
  bodyOf,
  buildBodySet,
  readBodySet,
  SOURCE_ARN,
} from './receiver-corpus.js';
import { median } from './report.js';
import { segmentBodyBytesUnder, visibleBytesUnder } from './segments.js';

/**
 * `npm run bench:receiver`: the Firehose HTTP endpoint receiver (`efsink serve` in its own process,
 * pinned to one core when taskset exists) under autocannon on loopback, next to the floor — the
 * receiver's own decode-and-durable-land code (`deliverFirehoseRequest`, plus `gunzipBody` for gzip
 * bodies) driven in one process without HTTP — on the same pre-built bodies, in the same run,
 * repetitions interleaved. Then 64 concurrent ~8 MB requests against the default limits, for peak
 * RSS. Everything is bounded by request count and by a deadline. See bench/README.md.
 */

const SELF = fileURLToPath(import.meta.url);
const SERVE = join(dirname(SELF), 'efsink-serve.js');
const KEY = 'bench-access-key';
const WARMUP = 16;

interface LoadArgs {
  readonly url: string;
  readonly file: string;
  readonly connections: number;
  readonly amount: number;
  readonly maxSeconds: number;
  /** Bodies used for the warm-up requests (distinct ids, from the end of the set). */
  readonly warmup: number;
}

export interface RunResult {
  readonly wallMs: number;
  readonly ok: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peakRssKb: number;
  readonly idleRssKb?: number;
  /** 2xx answers during the warm-up (the receiver stores those too). */
  readonly warmOk?: number;
  readonly bytesOk?: boolean;
}

if (process.argv[2] === '--load') {
  process.stdout.write(
    `${JSON.stringify(await loadChild(JSON.parse(process.argv[3] as string) as LoadArgs))}\n`,
  );
} else if (process.argv[2] === '--floor') {
  const a = JSON.parse(process.argv[3] as string) as {
    file: string;
    root: string;
    amount: number;
    concurrency: number;
  };
  process.stdout.write(`${JSON.stringify(await floorChild(a.file, a.root, a.amount, a.concurrency))}\n`);
} else {
  await main();
}

// ---------------------------------------------------------------------------------------------
// children

/** autocannon against the receiver; its process is pinned to the other core when possible. */
async function loadChild(a: LoadArgs): Promise<RunResult> {
  const { default: autocannon } = await import('autocannon');
  const set = readBodySet(a.file);
  const headersOf = (i: number): Record<string, string> => ({
    'Content-Type': 'application/json',
    'X-Amz-Firehose-Protocol-Version': '1.0',
    'X-Amz-Firehose-Request-Id': set.requestIds[i] as string,
    'X-Amz-Firehose-Source-Arn': SOURCE_ARN,
    'X-Amz-Firehose-Access-Key': KEY,
    'User-Agent': 'Amazon Kinesis Data Firehose Agent/1.0',
    ...(set.spec.gzip ? { 'Content-Encoding': 'gzip' } : {}),
  });
  const once = (from: number, to: number, amount: number, connections: number) =>
    new Promise<{
      r: import('autocannon').AutocannonResult;
      ok: number;
      statuses: Record<string, number>;
      ms: number;
    }>((resolve, reject) => {
      let next = from;
      let ok = 0;
      let last = 0;
      const statuses: Record<string, number> = {};
      const t0 = performance.now();
      const instance = autocannon(
        {
          url: a.url,
          connections,
          amount,
          timeout: a.maxSeconds,
          requests: [
            {
              setupRequest: (req) => {
                // ids never repeat within a run: the set holds amount + slack bodies.
                const i = next < to ? next++ : from + ((next++ - from) % (to - from));
                return {
                  ...req,
                  method: 'POST',
                  path: '/',
                  headers: headersOf(i),
                  body: bodyOf(set, i),
                };
              },
              onResponse: (status) => {
                last = performance.now();
                statuses[status] = (statuses[status] ?? 0) + 1;
                if (status === 200) ok++;
              },
            },
          ],
        },
        (err, r) => {
          clearTimeout(deadline);
          if (err) reject(err);
          else resolve({ r, ok, statuses, ms: (last || performance.now()) - t0 });
        },
      );
      const deadline = setTimeout(() => instance.stop(), a.maxSeconds * 1000);
    });
  const n = set.requestIds.length;
  const warm = a.warmup > 0 ? await once(n - a.warmup, n, a.warmup, Math.min(4, a.warmup)) : undefined;
  const { r, ok, statuses, ms } = await once(0, n - a.warmup, a.amount, a.connections);
  return {
    wallMs: ms,
    ok,
    statuses,
    errors: r.errors,
    timeouts: r.timeouts,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    peakRssKb: process.resourceUsage().maxRSS,
    ...(warm ? { warmOk: warm.ok } : {}),
  };
}

/**
 * The floor: the receiver's decode-and-land path in one process, no HTTP. `concurrency` requests
 * in flight at once (as many as the load generator's connections), each: gunzip (gzip sets) →
 * decodeFirehoseRequest → classify → pin the request time (durable) → plan → land (temp, write,
 * fsync, rename, directory fsync). Durable exactly as the receiver is.
 */
async function floorChild(
  file: string,
  root: string,
  amount: number,
  concurrency: number,
): Promise<RunResult> {
  const set = readBodySet(file);
  const maxBody = loadReceiverConfig({ accessKeys: [KEY] }).maxBodyBytes;
  const deliver = async (i: number, deps: Parameters<typeof deliverFirehoseRequest>[3]) => {
    const raw = bodyOf(set, i);
    const body = set.spec.gzip ? await gunzipBody(raw, maxBody) : raw;
    return deliverFirehoseRequest(set.requestIds[i] as string, SOURCE_ARN, body, deps);
  };
  const depsFor = (dir: string) => {
    const sinkConfig = loadSinkConfig({ root: dir }, 'flags');
    const sink = createSink(sinkConfig, { log: silentLogger });
    return { sinkConfig, sink, pins: requestPins(sink.layout), log: silentLogger };
  };
  // Warm-up on a scratch root, with the bodies the load generator also uses for its warm-up.
  const scratch = `${root}.warmup`;
  const warmDeps = depsFor(scratch);
  const n = set.requestIds.length;
  for (let i = n - WARMUP; i < n; i++) await deliver(i, warmDeps);
  rmSync(scratch, { recursive: true, force: true });

  const deps = depsFor(root);
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < amount) {
      const i = next++;
      const s = performance.now();
      await deliver(i, deps);
      latencies.push(performance.now() - s);
      ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - t0;
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    wallMs,
    ok,
    statuses: { 200: ok },
    errors: 0,
    timeouts: 0,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    peakRssKb: process.resourceUsage().maxRSS,
    bytesOk: segmentBodyBytesUnder(join(root, '.efsink', 'segments')) === ok * framedBytes(set),
  };
}

// ---------------------------------------------------------------------------------------------
// orchestration

interface Scenario {
  readonly spec: BodySpec;
  readonly amount: number;
  readonly connections: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      dir: { type: 'string', default: tmpdir() },
      scale: { type: 'string', default: '1' },
      connections: { type: 'string', default: '8' },
      'max-seconds': { type: 'string', default: '60' },
      'no-memory': { type: 'boolean', default: false },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const reps = Number(values.reps);
  const scale = Number(values.scale);
  const connections = Number(values.connections);
  const maxSeconds = Number(values['max-seconds']);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && cpus().length >= 2;
  const base = mkdtempSync(join(values.dir, 'efsink-rbench-'));
  log(
    `bench:receiver: ${reps} reps, ${connections} connections, in ${base}; taskset pinning: ${pinned ? 'yes' : 'no'}`,
  );

  const slack = 2 * connections + 4;
  const scenarios: Scenario[] = [
    scenario('250k', 250_000, false, Math.round(600 * scale)),
    scenario('250k', 250_000, true, Math.round(600 * scale)),
    scenario('1m', 1_048_576, false, Math.round(160 * scale)),
    scenario('1m', 1_048_576, true, Math.round(160 * scale)),
  ].filter((s) => values.only === undefined || s.spec.name.startsWith(values.only));
  function scenario(size: string, target: number, gzip: boolean, amount: number): Scenario {
    const name = `${size}-${gzip ? 'gzip' : 'plain'}`;
    return {
      spec: { name, targetBodyBytes: target, gzip, count: amount + slack + WARMUP },
      amount,
      connections,
    };
  }

  const rows: { index: BodySetIndex; receiver: RunResult[]; floor: RunResult[] }[] = [];
  for (const sc of scenarios) {
    const t0 = Date.now();
    const index = buildBodySet(sc.spec, join(base, `${sc.spec.name}.bin`));
    log(
      `bench:receiver: ${sc.spec.name}: ${index.records} records, ${index.logBytesPerBody} log bytes, ${index.lengths[0]} body bytes × ${sc.spec.count} (built in ${Date.now() - t0} ms)`,
    );
    const row = { index, receiver: [] as RunResult[], floor: [] as RunResult[] };
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? (['receiver', 'floor'] as const) : (['floor', 'receiver'] as const);
      for (const what of order) {
        const res =
          what === 'receiver'
            ? await measureReceiver(index, sc.amount, sc.connections, maxSeconds, base, pinned, [])
            : measureFloor(index, sc.amount, sc.connections, base, pinned);
        row[what].push(res);
        execFileSync('sync');
        log(
          `bench:receiver: ${sc.spec.name} rep ${r + 1} ${what}: ${res.ok} ok in ${res.wallMs.toFixed(0)} ms, ${mbps(index, res).toFixed(1)} MB/s, p50 ${res.p50Ms.toFixed(0)} p99 ${res.p99Ms.toFixed(0)} ms, ${JSON.stringify(res.statuses)} errors ${res.errors}, bytes ok ${res.bytesOk}`,
        );
      }
    }
    rows.push(row);
    if (values['cpu-prof'] !== undefined) {
      await measureReceiver(
        index,
        sc.amount,
        sc.connections,
        maxSeconds,
        base,
        pinned,
        [],
        [
          '--cpu-prof',
          '--cpu-prof-dir',
          values['cpu-prof'],
          '--cpu-prof-name',
          `receiver-${sc.spec.name}.cpuprofile`,
        ],
      );
      log(`bench:receiver: profiled ${sc.spec.name} into ${values['cpu-prof']}`);
    }
    rmSync(index.file, { force: true });
  }

  const memory: { label: string; flags: string[]; index: BodySetIndex; result: RunResult }[] = [];
  if (!values['no-memory']) {
    const amount = 64;
    const spec: BodySpec = {
      name: '8m-plain',
      targetBodyBytes: 8 * 1024 * 1024,
      gzip: false,
      count: amount + 2 * 64 + 4 + WARMUP,
      longLines: 40,
      longLineBytes: 120_000,
    };
    const index = buildBodySet(spec, join(base, '8m.bin'));
    log(`bench:receiver: 8m-plain: ${index.records} records, ${index.lengths[0]} body bytes`);
    for (const [label, flags] of [
      ['defaults', []],
      ['--max-queued-requests 16', ['--max-queued-requests', '16']],
    ] as const) {
      const result = await measureReceiver(index, amount, 64, 180, base, pinned, [...flags]);
      memory.push({ label, flags: [...flags], index, result });
      log(
        `bench:receiver: 8m ${label}: ${JSON.stringify(result.statuses)} errors ${result.errors}, peak RSS ${(result.peakRssKb / 1024).toFixed(0)} MB`,
      );
      execFileSync('sync');
    }
    rmSync(index.file, { force: true });
  }
  rmSync(base, { recursive: true, force: true });

  const out = [
    `### ${new Date().toISOString().slice(0, 10)} — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${process.platform} ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, dir ${values.dir}, ${gitDescription()}; receiver and floor pinned to core 0, autocannon to core 1: ${pinned ? 'yes' : 'no (taskset missing or 1 core)'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    '',
    throughputTable(rows),
    '',
    memory.length > 0 ? memoryTable(memory) : 'Memory run skipped (--no-memory).',
    '',
  ].join('\n');
  process.stdout.write(out);
}

function measureFloor(
  index: BodySetIndex,
  amount: number,
  concurrency: number,
  base: string,
  pinned: boolean,
): RunResult {
  const root = mkdtempSync(join(base, 'floor-'));
  const args = JSON.stringify({ file: index.file, root, amount, concurrency });
  const cmd = [process.execPath, SELF, '--floor', args];
  const r = spawnSync(pinned ? 'taskset' : (cmd.shift() as string), pinned ? ['-c', '0', ...cmd] : cmd, {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    timeout: 600_000,
  });
  rmSync(root, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`floor child failed (${r.status}): ${r.stderr.slice(-4000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as RunResult;
}

async function measureReceiver(
  index: BodySetIndex,
  amount: number,
  connections: number,
  maxSeconds: number,
  base: string,
  pinned: boolean,
  flags: string[],
  nodeFlags: string[] = [],
): Promise<RunResult> {
  const root = mkdtempSync(join(base, 'recv-'));
  const logFd = openSync(join(base, 'receiver.log'), 'w');
  const cmd = [
    process.execPath,
    ...nodeFlags,
    SERVE,
    '--root',
    root,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--access-key',
    KEY,
    '--assemble-interval-seconds',
    '0',
    ...flags,
  ];
  const child = spawn(pinned ? 'taskset' : (cmd.shift() as string), pinned ? ['-c', '0', ...cmd] : cmd, {
    stdio: ['ignore', 'pipe', logFd],
  });
  closeSync(logFd);
  try {
    const port = await listeningPort(child, 30_000);
    const idleRssKb = procStatusKb(child.pid as number, 'VmRSS');
    const loadArgs: LoadArgs = {
      url: `http://127.0.0.1:${port}/`,
      file: index.file,
      connections,
      amount,
      maxSeconds,
      warmup: WARMUP,
    };
    const loadCmd = [process.execPath, SELF, '--load', JSON.stringify(loadArgs)];
    const load = await runAsync(
      pinned ? ['taskset', '-c', '1', ...loadCmd] : loadCmd,
      (maxSeconds * 2 + 60) * 1000,
    );
    const result = JSON.parse(load.trim().split('\n').pop() as string) as RunResult;
    const peakRssKb = procStatusKb(child.pid as number, 'VmHWM');
    await stop(child, 120_000);
    // The final assembly pass on SIGTERM built the hourly files: every acknowledged request exactly once.
    const stored = visibleBytesUnder(root);
    const bytesOk = stored === (result.ok + (result.warmOk ?? 0)) * framedBytes(index);
    return { ...result, peakRssKb, idleRssKb, bytesOk };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`receiver did not start: ${text}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(text);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`receiver exited (${code}) before listening: ${text}`)));
  });
}

function stop(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function runAsync(cmd: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.once('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`load child failed (${code}): ${err.slice(-4000)}`));
    });
  });
}

function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** rest-json lines never end with `\n`, so framing adds one per record. */
function framedBytes(index: BodySetIndex): number {
  return index.logBytesPerBody + index.records;
}

// ---------------------------------------------------------------------------------------------
// report

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function mbps(index: BodySetIndex, r: RunResult): number {
  return (r.ok * index.logBytesPerBody) / 1e6 / (r.wallMs / 1000);
}

function throughputTable(rows: { index: BodySetIndex; receiver: RunResult[]; floor: RunResult[] }[]): string {
  const out = [
    '| bodies | records / body | body bytes | variant | requests | req/s | MB/s log bytes (median) | min–max MB/s | p50 ms | p99 ms | non-200 / errors | peak RSS MB | receiver ÷ floor MB/s (paired median) | bytes ok |',
    '|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|',
  ];
  for (const { index, receiver, floor } of rows) {
    for (const [variant, runs] of [
      ['receiver (HTTP)', receiver],
      ['floor (in-process)', floor],
    ] as const) {
      const speeds = runs.map((r) => mbps(index, r));
      const reqs = median(runs.map((r) => r.ok / (r.wallMs / 1000)));
      const ratio =
        variant === 'floor (in-process)'
          ? '1.00'
          : fmt(median(receiver.map((r, i) => mbps(index, r) / mbps(index, floor[i] as RunResult))), 2);
      const bad = runs.reduce(
        (n, r) => n + Object.entries(r.statuses).reduce((m, [s, c]) => m + (s === '200' ? 0 : c), 0),
        0,
      );
      const errors = runs.reduce((n, r) => n + r.errors + r.timeouts, 0);
      out.push(
        `| ${index.spec.name} | ${fmt(index.records)} | ${fmt(index.lengths[0] ?? 0)}${index.spec.gzip ? ` (${fmt(index.jsonBytesPerBody)} JSON)` : ''} | ${variant} | ${fmt(median(runs.map((r) => r.ok)))} | ${fmt(reqs, 1)} | ${fmt(median(speeds), 1)} | ${fmt(Math.min(...speeds), 1)}–${fmt(Math.max(...speeds), 1)} | ${fmt(median(runs.map((r) => r.p50Ms)))} | ${fmt(median(runs.map((r) => r.p99Ms)))} | ${bad} / ${errors} | ${fmt(Math.max(...runs.map((r) => r.peakRssKb)) / 1024)} | ${ratio} | ${runs.every((r) => r.bytesOk) ? 'yes' : 'NO'} |`,
      );
    }
  }
  return out.join('\n');
}

function memoryTable(
  rows: { label: string; flags: string[]; index: BodySetIndex; result: RunResult }[],
): string {
  const config = loadReceiverConfig({ accessKeys: [KEY] });
  const sinkConfig = loadSinkConfig({ root: '/' }, 'flags');
  const MiB = 1024 * 1024;
  // The receiver's default concurrency on this machine (min(8, the memory bound)).
  const maxConcurrentRequests =
    config.maxConcurrentRequests ??
    resolveConcurrency(
      {
        memoryLimitBytes: detectMemoryLimitBytes(),
        maxBodyBytes: config.maxBodyBytes,
        maxDecompressedBytes: sinkConfig.maxDecompressedBytes,
        maxQueuedRequests: config.maxQueuedRequests,
      },
      (code, message) => new Error(`${code}: ${message}`),
    ).maxConcurrentRequests;
  const out = [
    '| 64 connections × ~8 MB plain bodies, 64 requests | body bytes | 200 | 503 | 413 | other / errors | p50 ms | p99 ms | idle RSS MB | peak RSS MB (VmHWM) | bound for these bodies: idle + 8 × 6 × body, MB | bytes ok |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|',
  ];
  for (const { label, index, result: r } of rows) {
    const body = index.lengths[0] ?? 0;
    const idle = (r.idleRssKb ?? 0) / 1024;
    const bound = idle + (maxConcurrentRequests * 6 * body) / MiB; // ×6 measured (bench/README.md)
    const other = Object.entries(r.statuses).reduce(
      (n, [s, c]) => n + (['200', '503', '413'].includes(s) ? 0 : c),
      0,
    );
    out.push(
      `| ${label} | ${fmt(body)} | ${r.statuses['200'] ?? 0} | ${r.statuses['503'] ?? 0} | ${r.statuses['413'] ?? 0} | ${other} / ${r.errors + r.timeouts} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(idle)} | ${fmt(r.peakRssKb / 1024)} | ${fmt(bound)} | ${r.bytesOk ? 'yes' : 'NO'} |`,
    );
  }
  out.push(
    '',
    `Configured limits (defaults): maxConcurrentRequests ${maxConcurrentRequests}, maxQueuedRequests ${config.maxQueuedRequests}, maxBodyBytes ${config.maxBodyBytes / MiB} MiB (compressed and decompressed), maxDecompressedBytes ${sinkConfig.maxDecompressedBytes / MiB} MiB (CloudWatch records inside one request). Worst case the configuration allows: ${config.maxConcurrentRequests} × (2 × ${config.maxBodyBytes / MiB} + ${sinkConfig.maxDecompressedBytes / MiB}) MiB = ${fmt((maxConcurrentRequests * (2 * config.maxBodyBytes + sinkConfig.maxDecompressedBytes)) / MiB)} MiB of buffers plus the decoded records; queued requests are not read (TCP back-pressure).`,
  );
  return out.join('\n');
}
