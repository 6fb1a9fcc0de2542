import { mkdir } from 'node:fs/promises';
import { loadSinkConfig } from '../../config/sink-config.js';
import { createPrng } from '../../core/access-log/index.js';
import { createSink } from '../../io/sink.js';
import { silentLogger } from '../../observability/logger.js';
import { createSimClock, type SimClock, wallClock } from '../../simulate/clock.js';
import { createCloudWatchEmitter } from '../../simulate/cloudwatch.js';
import { startDemoApi } from '../../simulate/demo-api.js';
import type { PathEmitter } from '../../simulate/emitter.js';
import { createFirehoseHttpEmitter } from '../../simulate/firehose-http.js';
import { createFirehoseS3Emitter } from '../../simulate/firehose-s3.js';
import { resolveFormat } from '../../simulate/format.js';
import { formatBytes } from '../../simulate/report.js';
import { checkPath, runSimulation } from '../../simulate/run.js';
import { cloudWatchLambda, s3SqsLambda, startLocalReceiver, startLocalS3 } from '../../simulate/targets.js';
import type { CommandContext, SIMULATE_KEYS } from '../registry.js';
import { discard } from './discard.js';

export async function simulateCommand({
  settings,
  out: stdout,
}: CommandContext<(typeof SIMULATE_KEYS)[number], 'path' | 'requests' | 'seed'>): Promise<number> {
  // With --json the report is one JSON line at the end, and nothing else goes to stdout.
  const out = settings.json ? discard() : stdout;
  const { path, requests, seed, duplicateEvery, root } = settings;
  const format = resolveFormat(settings.format, { trailingNewline: settings.trailingNewline });
  const logGroup = settings.logGroup ?? `/aws/apigateway/efsink-simulate/${path}`;
  const clock: SimClock =
    settings.start !== undefined ? createSimClock(settings.start, createPrng(seed)) : wallClock();
  await mkdir(root, { recursive: true });
  const config = loadSinkConfig({ root }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    let emitter: PathEmitter;
    const gzip = settings.gzip;
    if (path === 'cloudwatch') {
      emitter = createCloudWatchEmitter({ logGroup, invoke: cloudWatchLambda(config, sink), duplicateEvery });
    } else if (path === 'firehose-http') {
      const key = 'efsink-simulate-key';
      const { receiver, url } = await startLocalReceiver(config, sink, key, logGroup);
      cleanups.push(() => receiver.close());
      out.write(`receiver: ${url}\n`);
      emitter = createFirehoseHttpEmitter({
        url,
        accessKey: key,
        logGroup,
        clock,
        gzip,
        loseResponseEvery: duplicateEvery,
        limits: { maxCount: 500, maxBytes: 64 * 1024, maxAgeMs: 60_000 },
      });
    } else {
      const bucket = 'efsink-simulate';
      const s3 = await startLocalS3(bucket);
      cleanups.push(() => s3.stop());
      const lambda = s3SqsLambda(config, sink, s3.endpoint, logGroup);
      cleanups.push(async () => lambda.s3.destroy());
      out.write(`S3: ${s3.endpoint}\n`);
      emitter = createFirehoseS3Emitter({
        s3: lambda.s3,
        bucket,
        streamName: 'amazon-apigateway-efsink-simulate',
        logGroup,
        clock,
        gzip,
        handle: lambda.handle,
        duplicateEvery,
        limits: { maxCount: 100_000, maxBytes: 64 * 1024, maxAgeMs: 60_000 },
      });
    }
    let upstream: string | undefined;
    if (settings.proxy) {
      const api = await startDemoApi();
      cleanups.push(() => api.close());
      upstream = api.url;
    }
    const result = await runSimulation({
      emitter,
      format,
      clock,
      prng: createPrng(seed),
      requests,
      concurrency: settings.concurrency,
      upstream,
      onListening: (url) => out.write(`gateway: ${url}\n`),
    });
    await sink.assemble();
    const check = await checkPath(root, logGroup, emitter.units);
    const s = emitter.stats;
    out.write(
      `${path}: format ${format.name}, ${result.traffic.sent} requests (${result.traffic.failed} failed), ${s.lines} lines, ${formatBytes(s.bytes)}, ${s.units} units, ${s.redeliveries} redelivered, ${s.retries} retries\n`,
    );
    for (const f of check.files)
      out.write(`  ${f.rel}  ${formatBytes(Math.max(0, f.actualBytes))}${f.exact ? '' : '  DIFFERS'}\n`);
    for (const u of check.unexpected) out.write(`  unexpected file: ${u}\n`);
    out.write(`byte-exact: ${check.exact ? 'yes' : 'no'}\n`);
    if (settings.json)
      stdout.write(
        `${JSON.stringify({
          path,
          format: format.name,
          requests: result.traffic.sent,
          failedRequests: result.traffic.failed,
          lines: s.lines,
          bytes: s.bytes,
          units: s.units,
          redeliveries: s.redeliveries,
          retries: s.retries,
          files: check.files.map((f) => ({ file: f.rel, bytes: f.actualBytes, exact: f.exact })),
          unexpected: check.unexpected,
          byteExact: check.exact,
        })}\n`,
      );
    return check.exact ? 0 : 1;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}
