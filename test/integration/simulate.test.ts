import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSinkConfig, type SinkConfig } from '../../src/config/sink-config.js';
import { createPrng } from '../../src/core/access-log/index.js';
import { isEfsinkError } from '../../src/core/errors.js';
import { createSink, type Sink } from '../../src/io/sink.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createSimClock } from '../../src/simulate/clock.js';
import { createCloudWatchEmitter } from '../../src/simulate/cloudwatch.js';
import { startDemoApi } from '../../src/simulate/demo-api.js';
import type { PathEmitter } from '../../src/simulate/emitter.js';
import { createFirehoseHttpEmitter } from '../../src/simulate/firehose-http.js';
import { createFirehoseS3Emitter } from '../../src/simulate/firehose-s3.js';
import { resolveFormat, type SimFormat } from '../../src/simulate/format.js';
import { checkPath, readLogGroupFiles, runSimulation } from '../../src/simulate/run.js';
import { cloudWatchLambda, s3SqsLambda, startLocalReceiver } from '../../src/simulate/targets.js';
import { runCli } from '../support/cli.js';
import { type S3Server, startS3Server } from '../support/s3-server.js';

const START = Date.UTC(2026, 10, 22, 8, 59, 57); // the runs cross 09:00 in simulated time
const BUCKET = 'sim-test';
let root: string;
let config: SinkConfig;
let sink: Sink;
let s3: S3Server;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-sim-test-'));
  config = loadSinkConfig({ root }, 'flags');
  sink = createSink(config, { log: silentLogger });
  s3 = await startS3Server({ buckets: [BUCKET], quiet: true });
});

afterAll(async () => {
  await s3?.stop();
  await rm(root, { recursive: true, force: true });
});

/** Runs one path, assembles, and checks: every rendered line, exact bytes per file, redelivery a no-op. */
async function deliverAndCheck(emitter: PathEmitter, format: SimFormat, requests: number, seed: number) {
  const result = await runSimulation({
    emitter,
    format,
    clock: createSimClock(START, createPrng(seed), 1, 10),
    prng: createPrng(seed),
    requests,
    concurrency: 4,
  });
  expect(result.traffic).toMatchObject({ sent: requests, failed: 0 });
  expect(result.lines).toHaveLength(requests);
  await sink.assemble();
  const check = await checkPath(root, emitter.logGroup, emitter.units);
  expect(check.files.length).toBeGreaterThan(0);
  expect(check.unexpected).toEqual([]);
  expect(check.files.filter((f) => !f.exact)).toEqual([]);
  expect(check.exact).toBe(true);

  // The files hold exactly the rendered lines, each once (independently of the unit model).
  const files = await readLogGroupFiles(root, emitter.logGroup);
  const onDisk = [...files.values()].map((b) => b.toString('utf8')).join('');
  const rendered = result.lines.map((l) => (l.text.endsWith('\n') ? l.text : `${l.text}\n`));
  expect(onDisk.length).toBe(rendered.join('').length);
  expect(onDisk.split('\n').slice(0, -1).sort()).toEqual(rendered.join('').split('\n').slice(0, -1).sort());

  // At-least-once: every unit delivered again after assembly changes nothing.
  const before = new Map(files);
  expect(await emitter.replay(emitter.units.length)).toBe(emitter.units.length);
  const again = await sink.assemble();
  expect(again.files.reduce((n, f) => n + f.appendedSegments, 0)).toBe(0);
  expect(await readLogGroupFiles(root, emitter.logGroup)).toEqual(before);
  return result;
}

describe('efsink simulate paths', () => {
  it('cloudwatch: subscription payloads through the Lambda code land exactly the rendered lines', async () => {
    const emitter = createCloudWatchEmitter({
      logGroup: '/aws/apigateway/sim/cloudwatch',
      streams: 3,
      limits: { maxCount: 25, maxBytes: 1_048_576, maxAgeMs: 200 },
      invoke: cloudWatchLambda(config, sink),
      duplicateEvery: 3,
    });
    await deliverAndCheck(emitter, resolveFormat('rest-clf'), 150, 1);
    expect(emitter.stats.units).toBeGreaterThan(3);
    expect(emitter.stats.redeliveries).toBeGreaterThan(emitter.units.length);
  });

  it('firehose-http: gzip requests to the receiver, a lost response retried with the same id', async () => {
    const logGroup = '/aws/apigateway/sim/firehose-http';
    const { receiver, url } = await startLocalReceiver(config, sink, 'k', logGroup);
    try {
      const emitter = createFirehoseHttpEmitter({
        url,
        accessKey: 'k',
        logGroup,
        clock: createSimClock(START + 1, createPrng(9), 1, 10),
        limits: { maxCount: 40, maxBytes: 1_048_576, maxAgeMs: 60_000 },
        gzip: true,
        loseResponseEvery: 2,
      });
      await deliverAndCheck(emitter, resolveFormat('rest-json'), 150, 2);
      expect(emitter.stats.units).toBe(4);
      expect(emitter.stats.redeliveries).toBe(2 + 4);
    } finally {
      await receiver.close();
    }
  });

  it('firehose-s3: GZIP objects + SQS notifications through the Lambda code, duplicates included', async () => {
    const logGroup = '/aws/apigateway/sim/firehose-s3';
    const lambda = s3SqsLambda(config, sink, s3.endpoint, logGroup);
    try {
      const emitter = createFirehoseS3Emitter({
        s3: lambda.s3,
        bucket: BUCKET,
        streamName: 'amazon-apigateway-sim',
        logGroup,
        clock: createSimClock(START, createPrng(3), 1, 10),
        limits: { maxCount: 100_000, maxBytes: 8 * 1024, maxAgeMs: 300_000 },
        gzip: true,
        handle: lambda.handle,
        duplicateEvery: 2,
      });
      await deliverAndCheck(emitter, resolveFormat('rest-csv', { trailingNewline: true }), 120, 3);
      expect(emitter.stats.units).toBeGreaterThan(1);
    } finally {
      lambda.s3.destroy();
    }
  });

  it('a custom format renders the real request: user agent bytes, path, status, length', async () => {
    const api = await startDemoApi();
    const format = resolveFormat(
      '$context.requestId $context.httpMethod $context.path $context.resourcePath $context.status $context.responseLength "$context.identity.userAgent" $context.identity.sourceIp',
    );
    expect(format.name).toBe('custom');
    const emitter = createCloudWatchEmitter({
      logGroup: '/aws/apigateway/sim/custom',
      invoke: cloudWatchLambda(config, sink),
    });
    try {
      const result = await runSimulation({
        emitter,
        format,
        clock: createSimClock(START, createPrng(4)),
        prng: createPrng(4),
        requests: 80,
        upstream: api.url,
      });
      await sink.assemble();
      expect((await checkPath(root, emitter.logGroup, emitter.units)).exact).toBe(true);
      const re =
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} (GET|POST|DELETE) \/prod\/\S+ (\S+) (\d{3}) (\d+) "(.*)" 127\.0\.0\.1$/u;
      for (const line of result.lines) {
        const m = re.exec(line.text);
        expect(m, line.text).not.toBeNull();
        expect(Number(m?.[3])).toBe(line.status);
      }
      const text = result.lines.map((l) => l.text).join('\n');
      expect(text).toContain('/prod/café/menu /café/menu 200');
      expect(text).toMatch(/ 403 \d+ ".*" /); // unknown resource: API Gateway's own answer, resource "-"
      expect(text).toMatch(/ \/prod\/\S+ - 403 /);
      expect(text).toContain('日本語');
    } finally {
      await api.close();
    }
  });

  it('an invalid format fails with the engine code, and the CLI prints it', async () => {
    const codeOf = (f: string) => {
      try {
        resolveFormat(f);
        return 'ok';
      } catch (err) {
        return isEfsinkError(err) ? err.code : 'not coded';
      }
    };
    expect(codeOf('$context.httpMethod $context.status')).toBe('FORMAT_MISSING_REQUEST_ID');
    expect(codeOf('$input.body $context.requestId')).toBe('FORMAT_FORBIDDEN_VARIABLE');
    expect(codeOf('rest-jsn')).toBe('SIMULATE_UNKNOWN_PRESET');
    const cli = await runCli([
      'simulate',
      '--path',
      'cloudwatch',
      '--root',
      root,
      '--format',
      '$context.path\n$context.requestId',
    ]);
    expect(cli.code).toBe(2); // the --format given is wrong: a usage error (docs/errors.md)
    expect(cli.stderr).toMatch(/^FORMAT_MULTILINE: /);
  });

  it('the CLI runs one path end to end', async () => {
    const dir = join(root, 'cli');
    const cli = await runCli([
      'simulate',
      '--path',
      'cloudwatch',
      '--root',
      dir,
      '--requests',
      '40',
      '--start',
      '2026-11-22T08:59:59Z',
    ]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('40 lines');
    expect(cli.stdout).toMatch(/byte-exact: yes\n$/);
  });
});
