import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadSinkConfig } from '../src/config/sink-config.js';
import { THREADPOOL_SIZE } from '../src/config/threadpool.js';
import type { LogEvent } from '../src/core/decode/cloudwatch-logs.js';
import { codeOf } from '../src/core/error-catalogue.js';
import { planCloudWatchUnit } from '../src/core/write/plan-segments.js';
import { type FileHandle, type FsPort, fs, installFsPort } from '../src/io/fs-port.js';
import { createSink } from '../src/io/sink.js';
import { silentLogger } from '../src/observability/logger.js';
import { gitDescription } from './machine.js';

/**
 * `npm run bench:latency` (issue 10, item 2): throughput into ONE hourly file when every file-system
 * call costs what an EFS round trip costs. No EFS here, so the I/O module's file-system port
 * (src/io/fs-port.ts) is wrapped: every call, and every call on an open file handle (write, fsync,
 * read, stat, close, truncate), first waits L ms, then runs on the local disk. On EFS a metadata
 * operation costs about 1–3 ms and throughput comes from overlapping them (Amazon EFS performance
 * docs); this measures how much overlap efsink's code actually achieves, which the throughput
 * model in bench/README.md could only assume.
 *
 * Steady state, per latency L: landers land R units per second (one segment each; many landers
 * at once, as many Lambda invocations or receiver requests would), while one assembler runs passes
 * back to back on the same file, for D seconds. Printed: segments assembled per second, the lag
 * (how long the oldest segment a pass appended had waited when that pass ended, FIFO order
 * assumed: the most the oldest unassembled segment aged), and the calls per assembled segment,
 * each against L = 0 measured in the same run.
 * Landing and assembly share one process and one event loop here; on EFS they run on different
 * clients, so this is the harder case for the assembler.
 */

const { values } = parseArgs({
  options: {
    latencies: { type: 'string', default: '0,1,2,3' },
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '20' },
    'events-per-unit': { type: 'string', default: '20' },
    dir: { type: 'string', default: tmpdir() },
    profile: { type: 'boolean', default: false },
    // What every efsink process runs with (src/config/threadpool.ts); `--threadpool 4` is Node's default.
    threadpool: { type: 'string', default: process.env.UV_THREADPOOL_SIZE ?? String(THREADPOOL_SIZE) },
  },
});
/**
 * libuv's thread pool runs every fs call, and on NFS a call holds its thread for the whole round
 * trip (the syscall blocks in the kernel until the server answers). So a process never has more
 * file-system calls in flight than UV_THREADPOOL_SIZE (default 4; Node docs, "UV_THREADPOOL_SIZE"),
 * whatever efsink's own concurrency. The delayed calls below hold one of that many slots, shared
 * by the landers and the assembler as in `efsink serve`. Set before the pool's first use (below).
 */
const THREADPOOL = Number(values.threadpool);
process.env.UV_THREADPOOL_SIZE = String(THREADPOOL);
const LATENCIES = (values.latencies as string).split(',').map(Number);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const EVENTS = Number(values['events-per-unit']);
const LOG_GROUP = 'api-gateway-access-busy';
const HOUR_START_MS = Date.UTC(2026, 10, 22, 10, 0, 0);

/** Marks the assembler's calls, so that calls per segment count the assembler's own, not the landers'. */
const role = new AsyncLocalStorage<'assembler'>();

interface Result {
  latencyMs: number;
  landed: number;
  assembled: number;
  passes: number;
  segmentsPerSecond: number;
  maxLagMs: number;
  finalLagMs: number;
  callsPerSegment: number;
  /** Landings that failed and were retried, as the source would (a coded FS_ error each). */
  landingRetries: number;
  retryCodes: string;
}

/**
 * `--profile`: where a pass's wall time goes. Every assembler call is timed; time during which
 * exactly one assembler call is in flight is serial, and is charged to that call's callers (the
 * efsink functions on its stack). Concurrency cannot hide serial time, so this is the list of what
 * to overlap next.
 */
const profile = {
  inFlight: 0,
  lastChange: 0,
  current: [] as string[],
  serialMs: new Map<string, number>(),
  idleMs: 0,
  multiMs: 0,
};
function profileTick(now: number): void {
  const dt = now - profile.lastChange;
  if (profile.inFlight === 1) {
    const label = profile.current[0];
    if (label !== undefined) profile.serialMs.set(label, (profile.serialMs.get(label) ?? 0) + dt);
  } else if (profile.inFlight === 0) profile.idleMs += dt;
  else profile.multiMs += dt;
  profile.lastChange = now;
}
function callerLabel(name: string): string {
  const frames = (new Error('profile: caller of one fs call').stack ?? '').split('\n').slice(3);
  const fns = frames
    .map((f) => /at (?:async )?([\w.]+) /.exec(f)?.[1])
    .filter(
      (f): f is string =>
        f !== undefined && !/^(Object|Proxy|wait|inPoolSlot|port|Array|Promise|mapBounded|worker)/.test(f),
    );
  return `${fns.slice(0, 3).join(' < ')} :: ${name}`;
}

/** A counting semaphore: the thread pool's slots. */
const pool = {
  free: THREADPOOL,
  waiting: [] as (() => void)[],
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  },
  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.free++;
  },
};

/** Runs `call` as a blocking syscall would: in a pool slot, after the injected delay. */
async function inPoolSlot<T>(ms: number, name: string, call: () => Promise<T>): Promise<T> {
  await pool.acquire();
  try {
    await wait(ms, name);
    return await call();
  } finally {
    pool.release();
  }
}

const counter = { calls: 0 };

/** The injected delay of one call, counted and (with --profile) timed. */
async function wait(ms: number, name: string): Promise<void> {
  const assembler = role.getStore() === 'assembler';
  if (assembler) counter.calls++;
  if (!values.profile || !assembler) {
    if (ms > 0) await sleep(ms);
    return;
  }
  const label = callerLabel(name);
  profileTick(performance.now());
  profile.inFlight++;
  profile.current.push(label);
  try {
    if (ms > 0) await sleep(ms);
  } finally {
    profileTick(performance.now());
    profile.inFlight--;
    profile.current.splice(profile.current.indexOf(label), 1);
  }
}

/** The port with every call, and every file-handle call, delayed by `ms` in a pool slot and counted. */
function slowPort(ms: number): FsPort {
  const real = { ...fs };
  const handleMethods = new Set([
    'write',
    'sync',
    'datasync',
    'read',
    'stat',
    'close',
    'truncate',
    'readFile',
  ]);
  const wrapHandle = (fh: FileHandle): FileHandle =>
    new Proxy(fh, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        const fn = v as (...a: unknown[]) => unknown;
        if (!handleMethods.has(String(prop))) return fn.bind(target);
        return (...args: unknown[]) =>
          inPoolSlot(ms, `fh.${String(prop)}`, async () => fn.apply(target, args));
      },
    });
  const port: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(real)) {
    port[name] = async (...args: unknown[]) => {
      // procfs is the local kernel, not the server (the confinement check's readlink of
      // /proc/self/fd/N, ADR 0014): no round trip to delay.
      if (typeof args[0] === 'string' && args[0].startsWith('/proc/'))
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      const out = await inPoolSlot(ms, name, () => (fn as (...a: unknown[]) => Promise<unknown>)(...args));
      return name === 'open' ? wrapHandle(out as FileHandle) : out;
    };
  }
  return port as unknown as FsPort;
}

function eventsOf(k: number, total: number): LogEvent[] {
  const timestamp = HOUR_START_MS + Math.floor((k * 3_599_000) / total);
  const events: LogEvent[] = [];
  for (let j = 0; j < EVENTS; j++) {
    const seq = k * EVENTS + j + 1;
    const line = `198.51.100.${seq % 250} - - [22/Nov/2026:10:00:00 +0000] "GET /v1/orders/${seq} HTTP/1.1" 200 ${1000 + (seq % 9000)} req-${seq}`;
    events.push({ id: String(seq).padStart(56, '0'), timestamp, message: Buffer.from(line) });
  }
  return events;
}

async function run(latencyMs: number): Promise<Result> {
  const root = mkdtempSync(join(values.dir as string, 'efsink-latency-'));
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 3600 }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  counter.calls = 0;
  const restore = installFsPort(slowPort(latencyMs));
  const total = Math.ceil(RATE * SECONDS);
  const landedAt: number[] = []; // landing completion times, in completion order
  const t0 = performance.now();
  let stop = false;
  let landingRetries = 0;
  const retryCodes = new Map<string, number>();
  const landers = (async () => {
    // R units per second, released every 100 ms; each lands on its own (no waiting on the others).
    const inFlight = new Set<Promise<void>>();
    for (let tick = 0, k = 0; k < total; tick++) {
      const due = Math.min(total, Math.round((RATE * (tick + 1)) / 10));
      for (; k < due; k++) {
        const plan = planCloudWatchUnit(
          {
            messageType: 'DATA_MESSAGE',
            owner: '123456789012',
            logGroup: LOG_GROUP,
            logStream: 'stage-prod',
            subscriptionFilters: ['efsink'],
            logEvents: eventsOf(k, total),
          },
          config.template,
        );
        const landWithRetries = async (): Promise<void> => {
          for (let attempt = 1; ; attempt++) {
            try {
              await sink.land(plan);
              return;
            } catch (err) {
              if (attempt >= 5) throw err;
              landingRetries++;
              const code = codeOf(err);
              retryCodes.set(code, (retryCodes.get(code) ?? 0) + 1);
              if (process.env.EFSINK_BENCH_DEBUG) console.error(err);
            }
          }
        };
        const p: Promise<void> = landWithRetries().then(() => {
          landedAt.push(performance.now());
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      const next = t0 + (tick + 1) * 100;
      await sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(inFlight);
  })().finally(() => {
    stop = true;
  });
  let assembled = 0;
  let passes = 0;
  let maxLagMs = 0;
  let finalLagMs = 0;
  let callsInPasses = 0;
  for (;;) {
    const done = stop;
    const oldestPending = landedAt[assembled];
    const before = counter.calls;
    profile.lastChange = performance.now();
    const report = await role.run('assembler', () => sink.assemble());
    profileTick(performance.now());
    callsInPasses += counter.calls - before;
    if (report.failed.length > 0) throw new Error(`pass failed: ${JSON.stringify(report.failed)}`);
    const appended = report.files.reduce((n, f) => n + f.appendedSegments, 0);
    // The oldest segment this pass appended was in the file by the pass's end at the latest: its
    // wait is the most the pending folder's oldest segment aged (measured at the pass's start, one
    // long pass would hide its own length: 0 s with a pool of 4).
    const lag = appended > 0 && oldestPending !== undefined ? performance.now() - oldestPending : 0;
    maxLagMs = Math.max(maxLagMs, lag);
    assembled += appended;
    if (appended > 0) passes++;
    if (done && assembled >= landedAt.length) {
      finalLagMs = lag;
      break;
    }
    if (appended === 0) await sleep(5);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  if (values.profile) printProfile(latencyMs);
  await landers;
  restore();
  rmSync(root, { recursive: true, force: true });
  return {
    latencyMs,
    landed: landedAt.length,
    assembled,
    passes,
    segmentsPerSecond: assembled / elapsedS,
    maxLagMs,
    finalLagMs,
    callsPerSegment: callsInPasses / Math.max(1, assembled),
    landingRetries,
    retryCodes: [...retryCodes].map(([c, n]) => `${c} ×${n}`).join(', '),
  };
}

function printProfile(latencyMs: number): void {
  const total = profile.idleMs + profile.multiMs + [...profile.serialMs.values()].reduce((a, b) => a + b, 0);
  console.log(
    `profile L=${latencyMs}: in passes ${(total / 1000).toFixed(1)} s; no call in flight ${(profile.idleMs / 1000).toFixed(1)} s; several ${(profile.multiMs / 1000).toFixed(1)} s; one (serial) by caller:`,
  );
  for (const [label, ms] of [...profile.serialMs].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`  ${(ms / 1000).toFixed(2).padStart(6)} s  ${label}`);
  profile.serialMs.clear();
  profile.idleMs = 0;
  profile.multiMs = 0;
}

console.log(
  `bench:latency — ${RATE} units/s into one hourly file for ${SECONDS} s, file-system calls delayed by ${LATENCIES.join(', ')} ms, thread pool ${THREADPOOL} (${gitDescription()}, node ${process.version})`,
);
const results: Result[] = [];
for (const l of LATENCIES) {
  const r = await run(l);
  results.push(r);
  console.log(
    `L=${l} ms: landed ${r.landed}, assembled ${r.assembled} in ${r.passes} passes; ${r.segmentsPerSecond.toFixed(0)} seg/s over the run; lag max ${(r.maxLagMs / 1000).toFixed(2)} s; ${r.callsPerSegment.toFixed(1)} assembler calls/segment; ${r.landingRetries} landing retries${r.retryCodes ? ` (${r.retryCodes})` : ''}; serial model ${(1000 / Math.max(l, 0.001) / r.callsPerSegment).toFixed(0)} seg/s`,
  );
}
const base = results[0] as Result;
console.log(
  '\n| L (ms) | seg/s landed and assembled | ÷ L=0 | max lag (s) | assembler calls/segment | serial model (seg/s) | overlap achieved |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const serial = r.latencyMs > 0 ? 1000 / r.latencyMs / r.callsPerSegment : Number.POSITIVE_INFINITY;
  // Overlap: calls the assembler made × L, over the time its passes could have taken serially.
  const overlap = r.latencyMs > 0 ? (r.segmentsPerSecond / serial).toFixed(1) : '—';
  console.log(
    `| ${r.latencyMs} | ${r.segmentsPerSecond.toFixed(0)} | ${(r.segmentsPerSecond / base.segmentsPerSecond).toFixed(2)} | ${(r.maxLagMs / 1000).toFixed(2)} | ${r.callsPerSegment.toFixed(1)} | ${Number.isFinite(serial) ? serial.toFixed(0) : '—'} | ${overlap} |`,
  );
}
