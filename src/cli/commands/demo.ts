import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSinkConfig } from '../../config/sink-config.js';
import { createPrng } from '../../core/access-log/index.js';
import { EfsinkError } from '../../core/errors.js';
import { createSink } from '../../io/sink.js';
import { silentLogger } from '../../observability/logger.js';
import { createSimClock } from '../../simulate/clock.js';
import { createCloudWatchEmitter } from '../../simulate/cloudwatch.js';
import { startDemoApi } from '../../simulate/demo-api.js';
import type { PathEmitter } from '../../simulate/emitter.js';
import { SimulateErrorCode } from '../../simulate/errors.js';
import type { FileComparison, PathName } from '../../simulate/expected.js';
import { createFirehoseHttpEmitter } from '../../simulate/firehose-http.js';
import { createFirehoseS3Emitter } from '../../simulate/firehose-s3.js';
import { resolveFormat, type SimFormat } from '../../simulate/format.js';
import type { LocalS3Server } from '../../simulate/local-s3.js';
import { formatBytes, formatCount, renderTree } from '../../simulate/report.js';
import { checkPath, type RunSimulationResult, runSimulation } from '../../simulate/run.js';
import { cloudWatchLambda, s3SqsLambda, startLocalReceiver, startLocalS3 } from '../../simulate/targets.js';
import type { CommandContext, DEMO_KEYS } from '../registry.js';
import { discard } from './discard.js';

const GROUP = '/aws/apigateway/efsink-demo';
const ACCESS_KEY = 'efsink-demo-access-key';
const BUCKET = 'efsink-demo-firehose';
/** Ten seconds before an hour boundary in simulated time, so every path writes two hourly files. */
const START_MS = Date.UTC(2026, 10, 22, 8, 59, 50);

interface PathRun {
  readonly path: PathName;
  readonly format: SimFormat;
  readonly emitter: PathEmitter;
  result?: RunSimulationResult;
  check?: FileComparison;
}

export async function demoCommand({
  settings,
  out: stdout,
}: CommandContext<(typeof DEMO_KEYS)[number], 'requests' | 'seed'>): Promise<number> {
  // With --json the report is one JSON line at the end, and nothing else goes to stdout.
  const out = settings.json ? discard() : stdout;
  const { requests, seed } = settings;
  const keep = settings.root !== undefined;
  const root = settings.root ?? (await mkdtemp(join(tmpdir(), 'efsink-demo-')));
  if (keep) {
    await mkdir(root, { recursive: true });
    if ((await readdir(root)).length > 0)
      throw new EfsinkError(
        SimulateErrorCode.rootNotEmpty,
        `--root ${root} is not empty; give a new or empty folder`,
      );
  }
  // The SDK's notice that its 2027 releases need Node 22 says nothing about this run; keep the output clean.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const config = loadSinkConfig({ root }, 'flags');
    const sink = createSink(config, { log: silentLogger });
    const started = performance.now();

    const demoApi = await startDemoApi();
    cleanups.push(() => demoApi.close());
    const { receiver, url: receiverUrl } = await startLocalReceiver(
      config,
      sink,
      ACCESS_KEY,
      `${GROUP}/firehose-http`,
    );
    cleanups.push(() => receiver.close());
    const s3: LocalS3Server = await startLocalS3(BUCKET);
    cleanups.push(() => s3.stop());
    const s3Lambda = s3SqsLambda(config, sink, s3.endpoint, `${GROUP}/firehose-s3`);
    cleanups.push(async () => s3Lambda.s3.destroy());

    out.write(
      `efsink demo — root ${root}${keep ? '' : ' (temporary, removed at the end; --root DIR keeps it)'}\n`,
    );
    out.write(`  demo API          ${demoApi.url} (the gateway's integration)\n`);
    out.write(`  receiver          ${receiverUrl} (efsink serve's code)\n`);
    out.write(`  S3                ${s3.endpoint} (local S3-compatible server, in process)\n`);

    const clock = (salt: number) => createSimClock(START_MS, createPrng(seed * 31 + salt), 1, 16);
    const runs: PathRun[] = [
      {
        path: 'cloudwatch',
        format: resolveFormat('rest-clf'),
        emitter: createCloudWatchEmitter({
          logGroup: `${GROUP}/cloudwatch`,
          streams: 3,
          limits: { maxCount: 10_000, maxBytes: 1_048_576, maxAgeMs: 1_000 },
          invoke: cloudWatchLambda(config, sink),
          duplicateEvery: 7,
        }),
      },
    ];
    const httpClock = clock(2);
    runs.push({
      path: 'firehose-http',
      format: resolveFormat('rest-json'),
      emitter: createFirehoseHttpEmitter({
        url: receiverUrl,
        accessKey: ACCESS_KEY,
        logGroup: `${GROUP}/firehose-http`,
        clock: httpClock,
        limits: { maxCount: 500, maxBytes: 32 * 1024, maxAgeMs: 5_000 },
        gzip: true,
        loseResponseEvery: 3,
      }),
    });
    const s3Clock = clock(3);
    runs.push({
      path: 'firehose-s3',
      format: resolveFormat('rest-csv', { trailingNewline: true }),
      emitter: createFirehoseS3Emitter({
        s3: s3Lambda.s3,
        bucket: BUCKET,
        streamName: 'amazon-apigateway-efsink-demo',
        logGroup: `${GROUP}/firehose-s3`,
        clock: s3Clock,
        limits: { maxCount: 100_000, maxBytes: 24 * 1024, maxAgeMs: 10_000 },
        gzip: true,
        handle: s3Lambda.handle,
        duplicateEvery: 2,
      }),
    });
    const clocks = [clock(1), httpClock, s3Clock];

    for (const [i, run] of runs.entries()) {
      run.result = await runSimulation({
        emitter: run.emitter,
        format: run.format,
        clock: clocks[i] as ReturnType<typeof clock>,
        prng: createPrng(seed * 101 + i),
        requests,
        concurrency: 8,
        upstream: demoApi.url,
        deadlineMs: 20_000,
        onListening: (url) => out.write(`  gateway (${run.path.padEnd(13)}) ${url} → ${run.format.name}\n`),
      });
    }

    // Assembly, then late redeliveries of units already in the files, then the receiver's
    // shutdown pass and one more pass: nothing may change.
    const first = await sink.assemble();
    const replayed = await Promise.all(runs.map((r) => r.emitter.replay(2)));
    await receiver.close();
    const second = await sink.assemble();
    const appendedFirst = first.files.reduce((n, f) => n + f.appendedSegments, 0);
    const appendedLater = second.files.reduce((n, f) => n + f.appendedSegments, 0);
    const seconds = (performance.now() - started) / 1000;

    for (const run of runs) run.check = await checkPath(root, run.emitter.logGroup, run.emitter.units);
    const allExact = runs.every((r) => r.check?.exact) && appendedLater === 0;

    out.write('\n');
    out.write(
      `  ${'path'.padEnd(14)} ${'format'.padEnd(10)} ${'requests'.padStart(8)} ${'lines'.padStart(6)} ${'bytes'.padStart(10)} ${'units'.padStart(6)} ${'redelivered'.padStart(11)} ${'files'.padStart(5)} ${'lines/s'.padStart(8)}  byte-exact\n`,
    );
    for (const [i, run] of runs.entries()) {
      const r = run.result as RunSimulationResult;
      const s = run.emitter.stats;
      const fmt = `${run.format.name}${run.format.format.source.endsWith('\n') ? '\\n' : ''}`;
      out.write(
        `  ${run.path.padEnd(14)} ${fmt.padEnd(10)} ${formatCount(r.traffic.sent).padStart(8)} ${formatCount(s.lines).padStart(6)} ${formatBytes(s.bytes).padStart(10)} ${formatCount(s.units).padStart(6)} ${formatCount(s.redeliveries - (replayed[i] ?? 0)).padStart(5)} + ${String(replayed[i] ?? 0).padStart(3)} ${String(run.check?.files.length ?? 0).padStart(5)} ${formatCount(Math.round(s.lines / (r.elapsedMs / 1000))).padStart(8)}  ${run.check?.exact ? 'yes' : 'NO'}\n`,
      );
    }
    out.write(
      '  (redelivered: duplicates during delivery + replays after assembly; lines/s: HTTP request → landed)\n\n',
    );
    out.write(`files written under ${root}:\n`);
    out.write(
      renderTree(
        runs.flatMap((r) =>
          (r.check?.files ?? []).map((f) => ({
            path: f.rel,
            note: `${formatBytes(Math.max(f.actualBytes, 0))}${f.exact ? '' : `  DIFFERS (expected ${formatBytes(f.expectedBytes)})`}`,
          })),
        ),
      ),
    );
    for (const r of runs) for (const u of r.check?.unexpected ?? []) out.write(`  unexpected file: ${u}\n`);
    out.write(
      `\nassembly: first pass appended ${appendedFirst} segments; after ${replayed.reduce((a, b) => a + b, 0)} late redeliveries and the receiver's shutdown pass, the last pass appended ${appendedLater}\n`,
    );
    const totalLines = runs.reduce((n, r) => n + r.emitter.stats.lines, 0);
    const totalBytes = runs.reduce((n, r) => n + r.emitter.stats.bytes, 0);
    out.write(
      `total: ${formatCount(totalLines)} lines, ${formatBytes(totalBytes)} in ${seconds.toFixed(1)} s (${formatCount(Math.round(totalLines / seconds))} lines/s end to end, servers included)\n\n`,
    );
    for (const run of runs) {
      const c = run.check as FileComparison;
      out.write(
        `${run.path}: byte-exact: ${c.exact ? 'yes' : 'no'} (${c.files.filter((f) => f.exact).length}/${c.files.length} files identical${c.unexpected.length ? `, ${c.unexpected.length} unexpected` : ''})\n`,
      );
    }
    out.write(`byte-exact: ${allExact ? 'yes' : 'no'}\n`);
    if (settings.json)
      stdout.write(
        `${JSON.stringify({
          ...(keep ? { root } : {}),
          seconds: Number(seconds.toFixed(3)),
          paths: runs.map((run, i) => {
            const c = run.check as FileComparison;
            const st = run.emitter.stats;
            return {
              path: run.path,
              format: run.format.name,
              requests: (run.result as RunSimulationResult).traffic.sent,
              lines: st.lines,
              bytes: st.bytes,
              units: st.units,
              redeliveries: st.redeliveries - (replayed[i] ?? 0),
              replayedAfterAssembly: replayed[i] ?? 0,
              files: c.files.length,
              differing: c.files.filter((f) => !f.exact).map((f) => f.rel),
              unexpected: c.unexpected,
              byteExact: c.exact,
            };
          }),
          assembly: { appendedFirst, appendedLater },
          byteExact: allExact,
        })}\n`,
      );
    return allExact ? 0 : 1;
  } finally {
    await cleanup();
    if (!keep) await rm(root, { recursive: true, force: true });
  }
}
