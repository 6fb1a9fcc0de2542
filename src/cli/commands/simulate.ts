import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadSinkConfig } from '../../config/sink-config.js';
import { createPrng } from '../../core/access-log/index.js';
import { EfsinkError } from '../../core/errors.js';
import { createSink } from '../../io/sink.js';
import { silentLogger } from '../../observability/logger.js';
import { createSimClock, type SimClock, wallClock } from '../../simulate/clock.js';
import { createCloudWatchEmitter } from '../../simulate/cloudwatch.js';
import { startDemoApi } from '../../simulate/demo-api.js';
import type { PathEmitter } from '../../simulate/emitter.js';
import { PATH_NAMES, type PathName } from '../../simulate/expected.js';
import { createFirehoseHttpEmitter } from '../../simulate/firehose-http.js';
import { createFirehoseS3Emitter } from '../../simulate/firehose-s3.js';
import { resolveFormat } from '../../simulate/format.js';
import { formatBytes } from '../../simulate/report.js';
import { checkPath, runSimulation } from '../../simulate/run.js';
import { cloudWatchLambda, s3SqsLambda, startLocalReceiver, startLocalS3 } from '../../simulate/targets.js';
import { intFlag, parseCommandArgs, USAGE } from '../args.js';

export const SIMULATE_HELP = `efsink simulate --path cloudwatch|firehose-http|firehose-s3 --root DIR [--format PRESET|FORMAT]
                [--trailing-newline] [--requests N] [--concurrency N] [--seed N] [--log-group NAME]
                [--start ISO-TIME] [--gzip] [--proxy] [--duplicate-every N]
  A local API Gateway on 127.0.0.1 answers N requests (real HTTP, a tiny demo API), renders each with
  the access-log format (a preset: rest-clf, rest-json, rest-xml, rest-csv, http-clf, http-json,
  http-xml, http-csv; or your own, validated as API Gateway would), and delivers the lines through one
  path with realistic batching into DIR: CloudWatch subscription payloads to the Lambda code, Firehose
  HTTP requests to a local receiver, or Firehose S3 objects on a local S3 server + SQS events to the
  Lambda code. Then one assembly pass and a byte-exact check against the rendered lines.
  --start: simulated clock from this time (default: the wall clock).`;

const OPTIONS = {
  path: { type: 'string' },
  root: { type: 'string' },
  format: { type: 'string' },
  'trailing-newline': { type: 'boolean' },
  requests: { type: 'string' },
  concurrency: { type: 'string' },
  seed: { type: 'string' },
  'log-group': { type: 'string' },
  start: { type: 'string' },
  gzip: { type: 'boolean' },
  proxy: { type: 'boolean' },
  'duplicate-every': { type: 'string' },
} as const;

export async function simulateCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS, 'simulate');
  const path = values.path as PathName | undefined;
  if (path === undefined || !PATH_NAMES.includes(path))
    throw new EfsinkError(USAGE, `simulate: --path must be one of ${PATH_NAMES.join(', ')}`);
  if (values.root === undefined) throw new EfsinkError(USAGE, 'simulate: --root DIR is required');
  const format = resolveFormat(values.format ?? 'rest-clf', {
    trailingNewline: values['trailing-newline'] ?? false,
  });
  const requests = intFlag(values.requests, 'requests') ?? 200;
  const seed = intFlag(values.seed, 'seed') ?? 1;
  const duplicateEvery = intFlag(values['duplicate-every'], 'duplicate-every') ?? 5;
  const logGroup = values['log-group'] ?? `/aws/apigateway/efsink-simulate/${path}`;
  let clock: SimClock = wallClock();
  if (values.start !== undefined) {
    const start = Date.parse(values.start);
    if (!Number.isFinite(start))
      throw new EfsinkError(USAGE, `simulate: --start ${values.start} is not a time`);
    clock = createSimClock(start, createPrng(seed));
  }
  const root = resolve(values.root);
  await mkdir(root, { recursive: true });
  const config = loadSinkConfig({ root }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    let emitter: PathEmitter;
    const gzip = values.gzip ?? false;
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
    if (values.proxy) {
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
      concurrency: intFlag(values.concurrency, 'concurrency') ?? 4,
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
    return check.exact ? 0 : 1;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}
