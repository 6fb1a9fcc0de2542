// `npm run bench:backfill`: efsink backfill cloudwatch against the in-repo CloudWatch Logs server set
// up like the real FilterLogEvents quota (5 requests/s per account and Region, pages of at most
// 10,000 events and 1 MB). Issue 5, "Targets": wall time ≤ 1.1 × floor, floor = pages needed ÷ 5/s.
//
// Three processes, so that neither side's CPU time stalls the other's event loop (a real service is
// remote): this file as the orchestrator, `--serve` (the server, seeded once, kept for every variant)
// and `--client` (one backfill run into a fresh temp root, killed if it exceeds --timeout-s).
// See bench/README.md.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { backfillCloudWatch } from '../src/backfill/backfill-cloudwatch.js';
import { createLogsClient, fetchFilterPage, withoutSdkLogging } from '../src/backfill/cloudwatch-source.js';
import { tokenBucket } from '../src/backfill/rate-limiter.js';
import { DEFAULT_RETRY } from '../src/backfill/retry.js';
import { loadSinkConfig } from '../src/config/sink-config.js';
import { type AccessLogPresetName, iterateAccessLogEntries } from '../src/core/access-log/index.js';
import { framedLength } from '../src/core/write/frame.js';
import { createSink } from '../src/io/sink.js';
import { silentLogger } from '../src/observability/logger.js';
import { startCloudWatchLogsServer } from '../test/support/cloudwatch-logs-server.js';
import { gitDescription } from './machine.js';

const SELF = fileURLToPath(import.meta.url);
const GROUP = '/aws/apigateway/access';
/** 2025-03-01T10:00:00Z; the corpus spans `hours` hours from here. */
const T0 = Date.UTC(2025, 2, 1, 10);
const HOUR = 3_600_000;
const PRESETS: readonly AccessLogPresetName[] = ['rest-clf', 'http-json', 'rest-json', 'http-clf'];
const MAX_EVENTS_PER_PAGE = 10_000;
const MAX_PAGE_BYTES = 1_048_576;

interface CorpusOptions {
  readonly events: number;
  readonly streams: number;
  readonly hours: number;
}

/** What the server knows about its corpus (computed once, in the server process). */
interface CorpusInfo {
  readonly events: number;
  readonly messageBytes: number;
  readonly framedBytes: number;
  readonly accountedBytes: number;
  /** Greedy pages of ≤ 10,000 events and ≤ 1 MB (26 bytes overhead per event): what the server serves. */
  readonly pagesNeeded: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly seedMs: number;
}

interface ServerStats {
  readonly filterRequests: number;
  readonly ok: number;
  readonly throttled: number;
  readonly otherErrors: number;
}

/**
 * paced / sdk-retry-only: the whole backfill (fetch, plan, land, checkpoint, then assemble).
 * fetch-only-*: the same requests through `fetchFilterPage` without landing: the request pacing alone,
 * without the client's per-page CPU (which, on a loaded machine, is what holds the full backfill back).
 */
type Variant = 'paced' | 'sdk-retry-only' | 'fetch-only-paced' | 'fetch-only-sdk-retry';

interface ClientArgs {
  readonly variant: Variant;
  readonly endpoint: string;
  readonly root: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly rate: number;
  readonly sdkMaxAttempts: number;
}

interface ClientResult {
  readonly variant: Variant;
  readonly ok: boolean;
  readonly error?: string;
  readonly pages: number;
  readonly eventsRead: number;
  readonly eventsLanded: number;
  readonly bytesLanded: number;
  /** From the first request to the last page landed and checkpointed. */
  readonly pagingMs: number;
  readonly assembleMs: number;
  readonly retries: number;
  readonly maxRssKb: number;
}

function corpusStreams(o: CorpusOptions) {
  const perStream = Math.floor(o.events / o.streams);
  return Array.from({ length: o.streams }, (_, s) => ({
    name: `${PRESETS[s % PRESETS.length]}-${s}`,
    entries: iterateAccessLogEntries({
      seed: 5_000 + s,
      count: s === o.streams - 1 ? o.events - perStream * (o.streams - 1) : perStream,
      startEpochMs: T0 + s * 7,
      preset: PRESETS[s % PRESETS.length] as AccessLogPresetName,
      // Gaps are uniform in [0, 2·mean]: the stream spans about `hours` hours.
      meanIntervalMs: Math.floor((o.hours * HOUR) / perStream),
      longLines: 2,
    }),
  }));
}

async function serve(o: CorpusOptions, rate: number): Promise<void> {
  const t0 = performance.now();
  const server = await startCloudWatchLogsServer({
    maxEventsPerPage: MAX_EVENTS_PER_PAGE,
    maxPageBytes: MAX_PAGE_BYTES,
  });
  let messageBytes = 0;
  let framedBytes = 0;
  let lastTs = T0;
  for (const stream of corpusStreams(o)) {
    const seeds = [];
    for (const { context, line } of stream.entries) {
      const bytes = Buffer.byteLength(line, 'utf8');
      messageBytes += bytes;
      framedBytes += framedLength(Buffer.from(line, 'utf8'));
      lastTs = Math.max(lastTs, Number(context.requestTimeEpoch));
      seeds.push({ timestamp: Number(context.requestTimeEpoch), message: line });
    }
    server.putLogEvents(GROUP, stream.name, seeds);
  }
  const all = server.store.groupEvents(GROUP);
  let accountedBytes = 0;
  for (const e of all) accountedBytes += e.accountedBytes;
  const pagesNeeded = countPages(all.map((e) => e.accountedBytes));
  const info: CorpusInfo = {
    events: all.length,
    messageBytes,
    framedBytes,
    accountedBytes,
    pagesNeeded,
    startMs: T0,
    endMs: Math.floor(lastTs / HOUR) * HOUR + HOUR,
    seedMs: performance.now() - t0,
  };
  const stats = (): ServerStats => {
    const filter = server.requests.filter((r) => r.operation === 'FilterLogEvents');
    return {
      filterRequests: filter.length,
      ok: filter.filter((r) => r.statusCode === 200).length,
      throttled: filter.filter((r) => r.errorType === 'ThrottlingException').length,
      otherErrors: filter.filter((r) => r.statusCode !== 200 && r.errorType !== 'ThrottlingException').length,
    };
  };
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'reset') {
      server.resetRequests();
      // A fresh, full bucket: `burst` defaults to requestsPerSecond, as in the server's own default.
      server.setRateLimit('FilterLogEvents', { requestsPerSecond: rate });
      process.send?.({ cmd: 'reset' });
    } else if (m.cmd === 'stats') process.send?.({ cmd: 'stats', stats: stats() });
  });
  // Self-stopping: the orchestrator going away (normally or not) ends the server.
  process.on('disconnect', () => {
    void server.stop().finally(() => process.exit(0));
  });
  process.send?.({ cmd: 'ready', endpoint: server.endpoint, info });
}

/** Pages the server serves for these accounted sizes: ≤ 10,000 events, ≤ 1 MB, one event always fits. */
function countPages(sizes: readonly number[]): number {
  let pages = 0;
  let i = 0;
  while (i < sizes.length) {
    let n = 0;
    let bytes = 0;
    while (i < sizes.length && n < MAX_EVENTS_PER_PAGE) {
      const b = sizes[i] as number;
      if (n > 0 && bytes + b > MAX_PAGE_BYTES) break;
      bytes += b;
      n++;
      i++;
    }
    pages++;
  }
  return Math.max(1, pages);
}

async function client(args: ClientArgs): Promise<ClientResult> {
  const paced = args.variant === 'paced' || args.variant === 'fetch-only-paced';
  // Fake credentials through the standard chain (environment), as the CLI would find real ones.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  // paced: efsink's own client (what the CLI builds; retries in sendWithRetry). sdk-retry-only: the
  // SDK's standard retry strategy (exponential backoff with jitter, retry quota) does all retrying.
  const sdk = paced
    ? createLogsClient({ endpoint: args.endpoint, region: 'us-east-1' })
    : withoutSdkLogging(
        new CloudWatchLogsClient({
          endpoint: args.endpoint,
          region: 'us-east-1',
          retryMode: 'standard',
          maxAttempts: args.sdkMaxAttempts,
        }),
      );
  const config = loadSinkConfig({ root: args.root }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  let retries = 0;
  const t0 = performance.now();
  let pages = 0;
  let eventsRead = 0;
  let eventsLanded = 0;
  let bytesLanded = 0;
  let pagingMs = 0;
  let assembleMs = 0;
  let error: string | undefined;
  const pacing = {
    limiter: paced ? tokenBucket(args.rate, 1) : tokenBucket(1e9, 1e9),
    retry: {
      ...DEFAULT_RETRY,
      maxAttempts: paced ? DEFAULT_RETRY.maxAttempts : 1,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      random: Math.random,
      onRetry: () => {
        retries++;
      },
    },
  };
  if (args.variant.startsWith('fetch-only')) {
    let token: string | undefined;
    try {
      do {
        const page = await fetchFilterPage(
          sdk,
          { logGroupName: GROUP, startTimeMs: args.startMs, endTimeMs: args.endMs },
          token,
          pacing,
        );
        pages++;
        eventsRead += page.events.length;
        token = page.nextToken;
      } while (token !== undefined);
    } catch (err) {
      error = `${(err as Error).message}`.slice(0, 300);
    }
    sdk.destroy();
    const pagingMs = performance.now() - t0;
    return {
      variant: args.variant,
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
      pages,
      eventsRead,
      eventsLanded: 0,
      bytesLanded: 0,
      pagingMs,
      assembleMs: 0,
      retries,
      maxRssKb: process.resourceUsage().maxRSS,
    };
  }
  try {
    const report = await backfillCloudWatch({
      logGroup: GROUP,
      startMs: args.startMs,
      endMs: args.endMs,
      extraValues: {},
      config,
      sink,
      client: sdk,
      pacing,
      assemble: false,
      log: silentLogger,
      progress: {
        update: (s) => {
          pages++;
          eventsRead = s.events;
          bytesLanded = s.bytes;
        },
        done: () => {},
      },
    });
    pagingMs = performance.now() - t0;
    pages = report.checkpoint.pages;
    eventsRead = report.checkpoint.eventsRead;
    eventsLanded = report.checkpoint.eventsLanded;
    bytesLanded = report.checkpoint.bytesLanded;
    const t1 = performance.now();
    const assembly = await sink.assemble();
    assembleMs = performance.now() - t1;
    if (assembly.failed.length > 0) error = `assembly failed for ${assembly.failed.length} file(s)`;
  } catch (err) {
    pagingMs = performance.now() - t0;
    error = `${(err as Error).message}`.slice(0, 300);
  } finally {
    sdk.destroy();
  }
  return {
    variant: args.variant,
    ok: error === undefined,
    ...(error !== undefined ? { error } : {}),
    pages,
    eventsRead,
    eventsLanded,
    bytesLanded,
    pagingMs,
    assembleMs,
    retries,
    maxRssKb: process.resourceUsage().maxRSS,
  };
}

/** Bytes of the visible (assembled) files under `dir`; efsink's `.efsink/` state is not counted. */
function sizeUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '.efsink') total += sizeUnder(p);
    } else total += statSync(p).size;
  }
  return total;
}

function request<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { cmd: string } & T) => {
      if (m.cmd !== cmd) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send({ cmd });
  });
}

function runClient(args: ClientArgs, timeoutMs: number, cpuProfDir?: string): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['--client', JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      execArgv: cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop();
      if (code === 0 && last) resolve(JSON.parse(last) as ClientResult);
      else if (signal === 'SIGKILL')
        resolve({
          variant: args.variant,
          ok: false,
          error: `killed after the ${timeoutMs / 1000} s timeout`,
          pages: 0,
          eventsRead: 0,
          eventsLanded: 0,
          bytesLanded: 0,
          pagingMs: timeoutMs,
          assembleMs: 0,
          retries: 0,
          maxRssKb: 0,
        });
      else reject(new Error(`client ${args.variant} exited ${code ?? signal}`));
    });
  });
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '400000' },
      streams: { type: 'string', default: '4' },
      hours: { type: 'string', default: '3' },
      rate: { type: 'string', default: '5' },
      'client-rate': { type: 'string' },
      'sdk-max-attempts': { type: 'string', default: '3' },
      variants: { type: 'string', default: 'paced,sdk-retry-only,fetch-only-paced,fetch-only-sdk-retry' },
      reps: { type: 'string', default: '1' },
      'timeout-s': { type: 'string', default: '180' },
      dir: { type: 'string', default: tmpdir() },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const corpus: CorpusOptions = {
    events: Number(values.events),
    streams: Number(values.streams),
    hours: Number(values.hours),
  };
  const rate = Number(values.rate);
  const clientRate = Number(values['client-rate'] ?? values.rate);
  const variants = (values.variants as string).split(',') as Variant[];
  const log = (s: string) => process.stderr.write(`${s}\n`);

  log(`bench:backfill: seeding ${fmt(corpus.events)} events in ${corpus.streams} streams…`);
  const server = fork(SELF, ['--serve', JSON.stringify({ corpus, rate })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const base = mkdtempSync(join(values.dir as string, 'efsink-bench-backfill-'));
  const results: { result: ClientResult; stats: ServerStats; storedBytes: number }[] = [];
  let info: CorpusInfo | undefined;
  try {
    const ready = await new Promise<{ endpoint: string; info: CorpusInfo }>((resolve, reject) => {
      server.once('message', (m) => resolve(m as { endpoint: string; info: CorpusInfo }));
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    info = ready.info;
    log(
      `bench:backfill: ${fmt(info.events)} events, ${fmt(info.messageBytes / 1e6, 1)} MB of messages, ${info.pagesNeeded} pages needed; seeded in ${fmt(info.seedMs / 1000, 1)} s`,
    );
    for (let rep = 0; rep < Number(values.reps); rep++) {
      for (const variant of variants) {
        await request(server, 'reset');
        // Let the server's bucket refill from the previous variant's last requests.
        await new Promise((r) => setTimeout(r, 1500));
        await request(server, 'reset');
        const root = mkdtempSync(join(base, `${variant}-`));
        log(`bench:backfill: ${variant} (rep ${rep + 1})…`);
        const result = await runClient(
          {
            variant,
            endpoint: ready.endpoint,
            root,
            startMs: info.startMs,
            endMs: info.endMs,
            rate: clientRate,
            sdkMaxAttempts: Number(values['sdk-max-attempts']),
          },
          Number(values['timeout-s']) * 1000,
          values['cpu-prof'],
        );
        const { stats } = await request<{ stats: ServerStats }>(server, 'stats');
        const storedBytes = result.ok ? sizeUnder(root) : 0;
        rmSync(root, { recursive: true, force: true });
        results.push({ result, stats, storedBytes });
        log(
          `bench:backfill: ${variant}: ${result.ok ? 'ok' : `FAILED (${result.error})`} ${result.pages} pages, ${stats.throttled} throttled, ${fmt(result.pagingMs)} ms`,
        );
      }
    }
  } finally {
    server.disconnect();
    rmSync(base, { recursive: true, force: true });
  }
  if (info === undefined) return;
  const floorS = info.pagesNeeded / rate;
  const rows = results.map(({ result: r, stats, storedBytes }) => {
    const wallS = (r.pagingMs + r.assembleMs) / 1000;
    const bytesOk = r.variant.startsWith('fetch-only')
      ? r.ok && r.eventsRead === info.events
      : r.ok && r.eventsLanded === info.events && storedBytes === info.framedBytes;
    return `| ${r.variant}${r.variant.endsWith('paced') ? ` (${clientRate}/s, burst 1)` : ` (SDK standard, maxAttempts ${values['sdk-max-attempts']})`} | ${r.ok ? 'ok' : `**failed**: ${r.error}`} | ${r.pages} | ${stats.filterRequests} | ${stats.throttled} | ${r.retries} | ${fmt(r.pagingMs / 1000, 2)} | ${fmt(r.assembleMs / 1000, 2)} | ${fmt(wallS, 2)} | ${fmt(floorS, 1)} | ${r.ok ? fmt(r.pagingMs / 1000 / floorS, 3) : '–'} | ${r.ok ? fmt(wallS / floorS, 3) : '–'} | ${fmt(r.maxRssKb / 1024)} | ${bytesOk ? 'yes' : 'no'} |`;
  });
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const out = [
    `### ${new Date().toISOString().slice(0, 10)} — Node ${process.version}, ${cpus().length} × ${cpu}, dir ${values.dir}, ${gitDescription()}`,
    '',
    `- corpus: ${fmt(info.events)} events in ${corpus.streams} streams over ${corpus.hours} h (${fmt(info.messageBytes / 1e6, 1)} MB of messages, ${fmt(info.accountedBytes / 1e6, 1)} MB counted with 26 B/event), range [${new Date(info.startMs).toISOString()}, ${new Date(info.endMs).toISOString()})`,
    `- server: FilterLogEvents token bucket ${rate} req/s (burst ${rate}), pages ≤ ${fmt(MAX_EVENTS_PER_PAGE)} events and ≤ ${fmt(MAX_PAGE_BYTES)} B: **${info.pagesNeeded} pages needed** (${fmt(info.events / info.pagesNeeded)} events/page on average), floor ${info.pagesNeeded} ÷ ${rate}/s = **${fmt(floorS, 1)} s**`,
    '',
    '| variant | result | pages | FilterLogEvents requests | throttled (server) | retries (efsink) | paging s | assemble s | wall s | floor s | paging ÷ floor | wall ÷ floor | peak RSS MB | all events (bytes) ok |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(out);
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ info, results }, null, 2));
}

const mode = process.argv[2];
if (mode === '--serve') {
  const { corpus, rate } = JSON.parse(process.argv[3] as string) as { corpus: CorpusOptions; rate: number };
  await serve(corpus, rate);
} else if (mode === '--client') {
  const result = await client(JSON.parse(process.argv[3] as string) as ClientArgs);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  await main();
}
