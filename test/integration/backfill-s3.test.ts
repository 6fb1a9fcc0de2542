import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backfillS3, type S3BackfillReport } from '../../src/backfill/backfill-s3.js';
import type { Pacing } from '../../src/backfill/cloudwatch-source.js';
import { tokenBucket } from '../../src/backfill/rate-limiter.js';
import { isS3ExactMatch, type VerifyS3Report, verifyS3 } from '../../src/backfill/verify-s3.js';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { isEfsinkError } from '../../src/core/errors.js';
import { frameEntries } from '../../src/core/write/frame.js';
import { createSink } from '../../src/io/sink.js';
import { handleS3SqsEvent } from '../../src/lambda/s3-sqs.js';
import { silentLogger } from '../../src/observability/logger.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { type CliResult, finished, runCli, spawnCli } from '../support/cli.js';
import { readOutputs } from '../support/corpus.js';
import {
  createS3TestClient,
  S3_TEST_CREDENTIALS,
  type S3Server,
  startS3Server,
} from '../support/s3-server.js';

const STREAM = 'amazon-apigateway-shop';
const PREFIX = 'firehose/';
const HOURS = [14, 15, 16] as const;
const outOf = (hour: number) => `${STREAM}/2025/08/06/${hour}.log`;
const uuidOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** A key exactly as Firehose names objects: prefix yyyy/MM/dd/HH/, stream-version-time-uuid. */
const keyOf = (hour: number, minute: number, n: number, ext = '') =>
  `${PREFIX}2025/08/06/${hour}/${STREAM}-1-2025-08-06-${hour}-${String(minute).padStart(2, '0')}-00-${uuidOf(n)}${ext}`;

interface SourceObject {
  readonly key: string;
  readonly hour: number;
  /** What the object holds once gunzipped: what the writer lands (framed). */
  readonly content: Buffer;
  /** What is stored in S3. */
  readonly body: Buffer;
}

/**
 * Four kinds per hour, each kind `perKind` times: undelimited records without a final newline,
 * newline-delimited records, GZIP of newline-delimited records (CRLF, non-UTF-8 byte, empty line),
 * multi-member GZIP (members split mid-line, plus an empty member).
 */
function corpus(perKind = 1): SourceObject[] {
  const out: SourceObject[] = [];
  let n = 0;
  for (const hour of HOURS) {
    let minute = 0;
    for (let r = 0; r < perKind; r++) {
      const base = `${hour}-${r}`;
      const plain = Buffer.from(`{"h":"${base}","a":1}{"h":"${base}","b":2}`);
      out.push({ key: keyOf(hour, minute++, n++), hour, content: plain, body: plain });
      const nd = Buffer.from(`10.0.0.1 GET /nd/${base}/1 200\n10.0.0.1 GET /nd/${base}/2 200\n`);
      out.push({ key: keyOf(hour, minute++, n++), hour, content: nd, body: nd });
      const gz = Buffer.from(`gz ${base} 1 ü\r\ngz ${base} \xff 2\n\ngz ${base} 4\n`, 'latin1');
      out.push({ key: keyOf(hour, minute++, n++, '.gz'), hour, content: gz, body: gzipSync(gz) });
      const mm = Buffer.from(`mm ${base} first line\nmm ${base} second line\nmm ${base} third\n`);
      const body = Buffer.concat([
        gzipSync(mm.subarray(0, 7)),
        gzipSync(mm.subarray(7, 40)),
        gzipSync(mm.subarray(40)),
        gzipSync(''),
      ]);
      out.push({ key: keyOf(hour, minute++, n++, '.gz'), hour, content: mm, body });
    }
  }
  return out;
}

/** The files the S3 path must produce: per hour, each object framed, in time order. */
function expectedFiles(objects: readonly SourceObject[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const hour of HOURS) {
    const mine = objects.filter((o) => o.hour === hour).sort((a, b) => (a.key < b.key ? -1 : 1));
    if (mine.length > 0) m.set(outOf(hour), frameEntries(mine.map((o) => o.content)));
  }
  return m;
}

const lineCount = (objects: readonly SourceObject[]) =>
  objects.reduce((n, o) => n + frameEntries([o.content]).toString('latin1').split('\n').length - 1, 0);

let server: S3Server;
let client: S3Client;
let listRequests = 0;
let work: string;
let bucket: string;
let bucketNo = 0;

beforeAll(async () => {
  server = await startS3Server();
  client = createS3TestClient(server.endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ListObjectsV2Command') listRequests++;
      return next(args);
    },
    { step: 'initialize', name: 'countLists' },
  );
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-backfill-s3-'));
  bucket = `backfill-${++bucketNo}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  listRequests = 0;
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const put = (key: string, body: Uint8Array) =>
  client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
async function putAll(objects: readonly SourceObject[]) {
  for (const o of objects) await put(o.key, o.body);
}

function fastPacing(onRetry?: (r: { reason: string }) => void): Pacing {
  return {
    limiter: tokenBucket(10_000, 1),
    retry: {
      maxAttempts: 5,
      baseDelayMs: 2,
      maxDelayMs: 20,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      random: Math.random,
      ...(onRetry ? { onRetry } : {}),
    },
  };
}

function sinkAt(root: string, segmentRetentionSeconds?: number) {
  const config = loadSinkConfig(
    { root, ...(segmentRetentionSeconds !== undefined ? { segmentRetentionSeconds } : {}) },
    'flags',
  );
  return { config, sink: createSink(config, { log: silentLogger }) };
}

function backfill(
  root: string,
  o: { pageSize?: number; retention?: number; s3?: S3Client; pacing?: Pacing } = {},
): Promise<S3BackfillReport> {
  const { config, sink } = sinkAt(root, o.retention);
  return backfillS3({
    bucket,
    prefix: PREFIX,
    config,
    sink,
    client: o.s3 ?? client,
    pacing: o.pacing ?? fastPacing(),
    pageSize: o.pageSize ?? 5,
    assemble: true,
    log: silentLogger,
  });
}

function verify(root: string, partitions?: number): Promise<VerifyS3Report> {
  const { config, sink } = sinkAt(root);
  return verifyS3({
    bucket,
    prefix: PREFIX,
    config,
    layout: sink.layout,
    client,
    pacing: fastPacing(),
    pageSize: 4,
    partitions,
    maxSamples: 5,
  });
}

function expectExact(v: VerifyS3Report, lines: number) {
  expect(v.comparison).toMatchObject({
    sourceLines: lines,
    storedLines: lines,
    missing: { count: 0 },
    extra: { count: 0 },
    duplicated: { count: 0 },
  });
  expect(v.unreadableObjects).toEqual([]);
  expect(isS3ExactMatch(v)).toBe(true);
}

async function expectFiles(root: string, want: Map<string, Buffer>) {
  const got = await readOutputs(root);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [rel, bytes] of want)
    expect(got.get(rel)?.toString('latin1'), rel).toBe(bytes.toString('latin1'));
}

describe('efsink backfill s3 (in process, real SDK against s3rver)', () => {
  it('lands plain, GZIP, multi-member GZIP and newline-delimited objects over several hours, paging', async () => {
    const objects = corpus();
    await putAll(objects);
    await put(PREFIX, new Uint8Array(0)); // a console "folder": skipped
    await put(`${PREFIX}2025/08/06/15/`, new Uint8Array(0));
    const root = join(work, 'efs');
    const r = await backfill(root, { pageSize: 5 });
    // 12 objects + 2 folder keys = 14 keys in pages of 5: 3 pages, 3 ListObjectsV2 requests.
    expect(listRequests).toBe(3);
    expect(r.checkpoint).toMatchObject({
      pages: 3,
      objectsRead: 12,
      objectsLanded: 12,
      objectsAlreadyPresent: 0,
      failed: [],
      done: true,
      startAfter: objects[objects.length - 1]?.key,
    });
    expect(r.assembly?.failed).toEqual([]);
    await expectFiles(root, expectedFiles(objects));
    for (const partitions of [1, 7]) expectExact(await verify(root, partitions), lineCount(objects));

    // A rerun lists after the last key (one request, nothing new) and changes nothing.
    listRequests = 0;
    const again = await backfill(root, { pageSize: 5 });
    expect(listRequests).toBe(1);
    expect(again.resumed).toBe(true);
    expect(again.checkpoint.objectsRead).toBe(12);
    await expectFiles(root, expectedFiles(objects));

    // An object added later sorts after the cursor (Firehose keys grow with time): the rerun picks it up.
    const late: SourceObject = {
      key: keyOf(16, 59, 999),
      hour: 16,
      content: Buffer.from('late line\n'),
      body: Buffer.from('late line\n'),
    };
    await put(late.key, late.body);
    const third = await backfill(root);
    expect(third.checkpoint).toMatchObject({ objectsRead: 13, objectsLanded: 13 });
    await expectFiles(root, expectedFiles([...objects, late]));
  });

  it('retries ListObjectsV2 SlowDown/503 with backoff through the limiter; a missing bucket fails with a code', async () => {
    await putAll(corpus().slice(0, 3));
    let throttles = 2;
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: { constructor: { name: string } }) => {
          if (command.constructor.name === 'ListObjectsV2Command' && throttles-- > 0) {
            const e = Object.assign(new Error('Please reduce your request rate.'), {
              name: 'SlowDown',
              $metadata: { httpStatusCode: 503 },
            });
            return Promise.reject(e);
          }
          return (target.send as (c: unknown) => Promise<unknown>)(command);
        };
      },
    });
    const retries: string[] = [];
    const r = await backfill(join(work, 'efs'), {
      s3: flaky,
      pacing: fastPacing((x) => retries.push(x.reason)),
    });
    expect(retries).toEqual(['SlowDown', 'SlowDown']);
    expect(r.checkpoint.objectsLanded).toBe(3);

    const err = await backfillS3({
      ...sinkAt(join(work, 'other')),
      bucket: 'no-such-bucket',
      client,
      pacing: fastPacing(),
      assemble: true,
      log: silentLogger,
    }).catch((e: unknown) => e);
    expect(isEfsinkError(err) && err.code).toBe('SOURCE_REQUEST_FAILED');
    expect(String((err as Error).message)).toMatch(/NoSuchBucket/);
  });

  it('overlapping what the live S3 path landed: zero duplicates, before and after segment retention', async () => {
    const objects = corpus();
    await putAll(objects);
    const root = join(work, 'efs');
    const { config, sink } = sinkAt(root);
    // The live path (SQS → Lambda handler) lands every other object, then assembles.
    const live = objects.filter((_, i) => i % 2 === 0);
    const body = {
      Records: live.map((o) => ({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: bucket },
          object: { key: encodeURIComponent(o.key).replace(/%2F/g, '/'), size: 1 },
        },
      })),
    };
    const res = await handleS3SqsEvent(
      { Records: [{ messageId: 'm1', body: JSON.stringify(body) } as SQSRecord] },
      {
        config,
        sink,
        s3: client,
        log: silentLogger,
        metrics: noMetrics,
      },
    );
    expect(res.batchItemFailures).toEqual([]);
    await sink.assemble();

    const r = await backfill(root);
    // The live path's six were assembled (and left the pending folder, ADR 0013): their markers
    // make landing count them as already present.
    expect(r.checkpoint).toMatchObject({ objectsRead: 12, objectsLanded: 6, objectsAlreadyPresent: 6 });
    // Each file: what the live path assembled, then what the backfill added (assembly appends).
    const late = objects.filter((o) => !live.includes(o));
    const want = new Map(
      HOURS.map((h) => [
        outOf(h),
        Buffer.concat([expectedFiles(live).get(outOf(h)), expectedFiles(late).get(outOf(h))] as Buffer[]),
      ]),
    );
    await expectFiles(root, want);
    const v = await verify(root);
    expectExact(v, lineCount(objects));

    // After the retention, assembled segments are deleted: a full second backfill (checkpoint
    // removed) finds every object's marker (ADR 0013) and lands nothing; nothing is appended.
    const retention0 = sinkAt(root, 0).sink;
    await retention0.assemble(); // deletes the committed segments
    await rm(join(root, '.efsink', 'backfill'), { recursive: true });
    const again = await backfill(root, { retention: 0 });
    expect(again.checkpoint).toMatchObject({ objectsRead: 12, objectsLanded: 0, objectsAlreadyPresent: 12 });
    const appended = (again.assembly?.files ?? []).reduce((n, f) => n + f.appendedSegments, 0);
    expect(appended).toBe(0);
    await expectFiles(root, want);
    expectExact(await verify(root), lineCount(objects));
  });

  it('reports a corrupt object with its code while the others land; a rerun retries it', async () => {
    const objects = corpus();
    await putAll(objects);
    const badKey = keyOf(15, 30, 500, '.gz');
    await put(
      badKey,
      Buffer.concat([gzipSync('ok\n').subarray(0, 10), Buffer.from('garbage that is not deflate')]),
    );
    const root = join(work, 'efs');
    const r = await backfill(root);
    expect(r.checkpoint.failed).toEqual([
      expect.objectContaining({ key: badKey, code: 'DECODE_INVALID_GZIP' }),
    ]);
    expect(r.checkpoint).toMatchObject({ objectsRead: 13, objectsLanded: 12, done: true });
    await expectFiles(root, expectedFiles(objects));
    const v = await verify(root);
    expect(v.unreadableObjects).toEqual([
      expect.objectContaining({ key: badKey, code: 'DECODE_INVALID_GZIP' }),
    ]);
    expect(v.comparison.missing.count + v.comparison.extra.count + v.comparison.duplicated.count).toBe(0);
    expect(isS3ExactMatch(v)).toBe(false);

    // Still corrupt: the rerun retries it first, and keeps it on the list.
    const again = await backfill(root);
    expect(again.recovered).toBe(0);
    expect(again.checkpoint.failed.map((f) => f.key)).toEqual([badKey]);

    // Repaired in place: the next run lands it, the list empties, verify matches exactly.
    const fixed: SourceObject = {
      key: badKey,
      hour: 15,
      content: Buffer.from('repaired\n'),
      body: gzipSync('repaired\n'),
    };
    await put(badKey, fixed.body);
    const third = await backfill(root);
    expect(third.recovered).toBe(1);
    expect(third.checkpoint.failed).toEqual([]);
    await expectFiles(root, expectedFiles([...objects, fixed]));
    expectExact(await verify(root), lineCount([...objects, fixed]));
  });
});

describe('efsink backfill s3 / verify s3 (built CLI)', () => {
  const env = {
    AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
  const args = (cmd: 'backfill' | 'verify', root: string, extra: string[] = []) => [
    cmd,
    's3',
    '--bucket',
    bucket,
    '--prefix',
    PREFIX,
    '--root',
    root,
    '--endpoint',
    server.endpoint,
    '--page-size',
    '3',
    // backfill prints its result as JSON with --json (like verify); the tests read that.
    ...(cmd === 'backfill' ? ['--json'] : []),
    ...extra,
  ];

  it('exits 1 naming a corrupt object, lands the rest, prints progress; verify --json exits 1 then 0', async () => {
    const objects = corpus();
    await putAll(objects);
    const badKey = keyOf(14, 45, 501, '.gz');
    await put(badKey, Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3]));
    const root = join(work, 'efs');
    const r = await runCli(args('backfill', root, ['--rate', '1000', '--progress-interval-ms', '0']), env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`s3://${bucket}/${badKey}: DECODE_INVALID_GZIP`);
    expect(r.stderr).toMatch(/backfill: \d+ objects, .* objects\/s/);
    expect(r.stderr).toMatch(/backfill complete: \d+ page\(s\), 13 objects read, 12 landed .* 1 failed/);
    expect(JSON.parse(r.stdout)).toMatchObject({
      objectsRead: 13,
      objectsLanded: 12,
      failed: [{ key: badKey, code: 'DECODE_INVALID_GZIP' }],
    });
    await expectFiles(root, expectedFiles(objects));

    const v = await runCli(args('verify', root, ['--json']), env);
    expect(v.code).toBe(3);
    expect(JSON.parse(v.stdout)).toMatchObject({
      ok: false,
      unreadableObjects: [{ key: badKey, code: 'DECODE_INVALID_GZIP' }],
    });

    await put(badKey, gzipSync('fixed\n'));
    const fixed = await runCli(args('backfill', root), env);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ recovered: 1, failed: [] });
    const ok = await runCli(args('verify', root, ['--json']), env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      comparison: { sourceLines: lineCount(objects) + 1 },
    });
    const text = await runCli(args('verify', root), env);
    expect(text.stdout).toMatch(/EXACT MATCH/);
  });

  it('verify s3 catches a missing line, an extra line and a one-byte difference, and counts pending segments', async () => {
    const objects = corpus();
    await putAll(objects);
    const root = join(work, 'efs');
    expect((await runCli(args('backfill', root), env)).code).toBe(0);
    const rel = outOf(15);
    const path = join(root, rel);
    const lines = (await readFile(path)).toString('latin1').split('\n');
    const gone = lines.splice(2, 1)[0] as string; // a newline-delimited record
    lines.splice(4, 0, 'not from the source');
    const flipAt = lines.findIndex((l) => l.startsWith('mm '));
    const original = lines[flipAt] as string;
    lines[flipAt] = original.replace('mm', 'mM');
    await writeFile(path, Buffer.from(lines.join('\n'), 'latin1'));

    const v = await runCli(args('verify', root, ['--json', '--partitions', '5']), env);
    expect(v.code).toBe(3);
    const report = JSON.parse(v.stdout) as VerifyS3Report & { ok: boolean };
    const c = report.comparison;
    expect(report.ok).toBe(false);
    expect(c.missing.count).toBe(2); // the deleted line and the flipped line's original
    expect(c.extra.count).toBe(2); // the foreign line and the flipped line
    expect(c.duplicated.count).toBe(0);
    expect(c.missing.samples.map((s) => s.line).sort()).toEqual([`${gone}\n`, `${original}\n`].sort());
    expect(c.extra.samples.map((s) => s.line).sort()).toEqual(
      [`${lines[flipAt]}\n`, 'not from the source\n'].sort(),
    );
    expect(c.extra.samples[0]?.relPath).toBe(rel);

    // A duplicated line, and an object landed by the live path but not yet assembled.
    const dupLines = (await readFile(path)).toString('latin1');
    await writeFile(path, Buffer.from(`${dupLines}${dupLines.split('\n')[0]}\n`, 'latin1'));
    const lateKey = keyOf(16, 58, 777);
    await put(lateKey, Buffer.from('pending line\n'));
    const ingest = await runCli(
      ['ingest', 's3', '--root', root, '--bucket', bucket, '--key', lateKey, '--endpoint', server.endpoint],
      env,
    );
    expect(ingest.code).toBe(0);
    const v2 = JSON.parse((await runCli(args('verify', root, ['--json']), env)).stdout) as VerifyS3Report;
    expect(v2.pendingSegments).toBe(1);
    expect(v2.comparison.duplicated.count).toBe(1);
    expect(v2.comparison.missing.samples.map((s) => s.line)).toContain('pending line\n');
    const human = await runCli(args('verify', root), env);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/MISMATCH[\s\S]*pending segments: 1/);
  });

  it('converges to the same files when SIGKILLed at random moments and restarted', async () => {
    const objects = corpus(4); // 48 objects, 16 pages of 3
    await putAll(objects);
    const reference = join(work, 'reference');
    const ok = await runCli(args('backfill', reference), env);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/backfill complete: 16 page\(s\), 48 objects read, 48 landed/);

    const root = join(work, 'killed');
    const ckDir = join(root, '.efsink', 'backfill');
    const progress = async (): Promise<number> => {
      try {
        const [name] = await readdir(ckDir);
        if (name === undefined) return -1;
        return (JSON.parse(await readFile(join(ckDir, name), 'utf8')) as { objectsRead: number }).objectsRead;
      } catch {
        return -1; // not there yet, or (never: it is renamed into place) partly written
      }
    };
    let seed = 0x5eed;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let kills = 0;
    let finishedRun: CliResult | undefined;
    const seen: number[] = [];
    for (let attempt = 0; attempt < 20 && finishedRun === undefined; attempt++) {
      const before = await progress();
      const child = spawnCli(args('backfill', root), env);
      const done = finished(child);
      const extraMs = Math.floor(random() * 40);
      let armed = attempt < 8;
      const poll = setInterval(() => {
        if (!armed) return;
        void progress().then((p) => {
          // Kill once this run has moved the checkpoint (inside listing and landing, not start-up).
          if (armed && p > before) {
            armed = false;
            seen.push(p);
            setTimeout(() => child.kill('SIGKILL'), extraMs);
          }
        });
      }, 5);
      const r = await done;
      clearInterval(poll);
      if (r.signal === 'SIGKILL') kills++;
      else finishedRun = r;
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(finishedRun?.code).toBe(0);
    expect(JSON.parse(finishedRun?.stdout ?? '{}')).toMatchObject({ objectsRead: 48, failed: [] });
    const want = await readOutputs(reference);
    const got = await readOutputs(root);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [rel, bytes] of want) expect(got.get(rel)?.equals(bytes), rel).toBe(true);
    await expectFiles(root, expectedFiles(objects));
    const v = await runCli(args('verify', root, ['--json']), env);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({
      ok: true,
      comparison: { sourceLines: lineCount(objects), duplicated: { count: 0 } },
    });
  });
});
