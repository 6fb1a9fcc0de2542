import {
  appendFile,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildCorpus,
  type Delivery,
  expectedMultiset,
  lineMultiset,
  readOutputs,
  shuffled,
  streamOrderKept,
} from '../../test/support/corpus.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { planCloudWatchPayload } from '../core/write/plan-cloudwatch.js';
import { decodeSegmentHeader } from '../core/write/segment-file.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { silentLogger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import { SEGMENT_DIR_IDLE_MS } from './assemble.js';
import { inodeOf } from './assemble-file.js';
import { createSink, type Sink } from './sink.js';

const HOUR_EDGE = Date.UTC(2025, 7, 6, 14, 59, 0);
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-io-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function setup(
  over: Partial<Parameters<typeof loadSinkConfig>[0]> = {},
  now?: () => number,
): { config: SinkConfig; sink: Sink } {
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 0, leaseSeconds: 30, ...over }, 'flags');
  return { config, sink: createSink(config, { log: silentLogger, ...(now ? { now } : {}) }) };
}

async function deliver(
  s: { config: SinkConfig; sink: Sink },
  deliveries: readonly Delivery[],
): Promise<void> {
  for (const d of deliveries)
    await ingestCloudWatchLogsEvent(d.event, { ...s, log: silentLogger, metrics: noMetrics });
}

describe('inodeOf', () => {
  it('names the inode a path has now, following a rename over it, and undefined when it or its folder is missing', async () => {
    const path = join(root, 'a/b.log');
    expect(await inodeOf(path)).toBeUndefined(); // folder missing
    await mkdir(join(root, 'a'));
    expect(await inodeOf(path)).toBeUndefined();
    await writeFile(path, 'one\n');
    const first = await inodeOf(path);
    expect(first).toBe((await stat(path)).ino);
    await writeFile(join(root, 'a/next'), 'two\n');
    await rename(join(root, 'a/next'), path);
    const second = await inodeOf(path);
    expect(second).toBe((await stat(path)).ino);
    expect(second).not.toBe(first);
  });
});

const corpus = buildCorpus({
  streams: 3,
  payloadsPerStream: 6,
  eventsPerPayload: 7,
  startMs: HOUR_EDGE,
  stepMs: 1500,
});

describe('landing', () => {
  it('lands each segment once: a redelivered unit changes nothing', async () => {
    const s = setup();
    const first = await s.sink.land(planOf(s, corpus[0] as Delivery));
    const again = await s.sink.land(planOf(s, corpus[0] as Delivery));
    expect(first.landed).toBeGreaterThan(0);
    expect(again).toEqual({ landed: 0, alreadyPresent: first.landed, bytes: 0 });
    expect(await readdir(join(root, '.efsink/tmp'))).toEqual([]);
  });

  it('lands one file per segment: its header describes the events, its body is the framed bytes', async () => {
    const s = setup();
    const plan = planOf(s, corpus[0] as Delivery);
    await s.sink.land(plan);
    const segDir = join(root, '.efsink/segments');
    const files = (await readdir(segDir, { recursive: true })).map(String).filter((f) => !f.endsWith('.log'));
    const segFiles = files.filter((f) => f.endsWith('.seg'));
    expect(segFiles).toHaveLength(plan.segments.length);
    expect(files.filter((f) => f.includes('.seg.'))).toEqual([]); // no sidecars
    for (const seg of plan.segments) {
      const bytes = await readFile(join(segDir, seg.relPath, seg.name));
      const header = decodeSegmentHeader(bytes);
      expect(header.meta).toEqual(seg.meta);
      expect(header.meta?.eventCount).toBe(seg.entryCount);
      expect(bytes.subarray(header.bodyOffset).equals(seg.bytes)).toBe(true);
    }
  });
});

describe('assembly', () => {
  it('produces the same files, byte for byte, whether units arrive once, 2–3 times, or shuffled', async () => {
    const reference = await runOnce(corpus);
    expect(lineMultiset(reference)).toEqual(expectedMultiset(corpus));
    expect(streamOrderKept(reference, corpus)).toBe(true);
    expect([...reference.keys()]).toEqual([
      'aws/apigateway/test/2025/08/06/14.log',
      'aws/apigateway/test/2025/08/06/15.log',
    ]);

    for (const seed of [1, 2, 3]) {
      const redelivered = shuffled([...corpus, ...corpus, ...corpus.filter((_, i) => i % 2 === 0)], seed);
      await rm(root, { recursive: true, force: true });
      await mkdir(root);
      expect(await runOnce(redelivered)).toEqual(reference);
    }
  }, 60_000);

  it('keeps the exact line multiset and per-stream order for any corpus interleaved with assembly passes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          streams: fc.integer({ min: 1, max: 3 }),
          payloadsPerStream: fc.integer({ min: 1, max: 4 }),
          eventsPerPayload: fc.integer({ min: 1, max: 5 }),
          stepMs: fc.integer({ min: 1, max: 2_000_000 }),
        }),
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 1000 }),
        async (shape, messages, seed) => {
          await rm(root, { recursive: true, force: true });
          await mkdir(root);
          const deliveries = buildCorpus({
            ...shape,
            startMs: HOUR_EDGE,
            // Arbitrary bytes, made unique per event so that order can be checked.
            message: (s, i) =>
              Buffer.concat([
                messages[(s * 31 + i) % messages.length] as Uint8Array,
                Buffer.from(` #${s}.${i}`),
              ]),
          });
          const s = setup();
          // Deliver in order within a stream, interleaving streams, redelivering some, assembling between.
          const order = shuffled(deliveries, seed).sort(
            (a, b) => deliveries.indexOf(a) - deliveries.indexOf(b) || 0,
          );
          for (const [i, d] of order.entries()) {
            await deliver(s, i % 3 === 0 ? [d, d] : [d]);
            if (i % 2 === 1) await s.sink.assemble();
          }
          await s.sink.assemble();
          const files = await readOutputs(root);
          expect(lineMultiset(files)).toEqual(expectedMultiset(deliveries));
          expect(streamOrderKept(files, deliveries)).toBe(true);
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);

  it('makes a second pass a no-op', async () => {
    const s = setup();
    await deliver(s, corpus);
    await s.sink.assemble();
    const before = await readOutputs(root);
    const report = await s.sink.assemble();
    expect(report.files).toEqual([]);
    expect(await readOutputs(root)).toEqual(before);
  }, 60_000);

  it('truncates a torn tail back to the committed length', async () => {
    const s = setup();
    await deliver(s, corpus.slice(0, 3));
    await s.sink.assemble();
    const [relPath] = [...(await readOutputs(root)).keys()];
    await appendFile(join(root, relPath as string), 'half a li');
    await deliver(s, corpus.slice(3));
    await s.sink.assemble();
    const reference = await runOnceIn(
      await mkdtemp(join(tmpdir(), 'efsink-ref-')),
      corpus.slice(0, 3),
      corpus.slice(3),
    );
    expect(await readOutputs(root)).toEqual(reference);
  }, 60_000);

  it('keeps an emptied segment folder while landers may still use it, and removes it once idle', async () => {
    let now = Date.now();
    const s = setup({}, () => now);
    await deliver(s, corpus);
    expect((await s.sink.assemble()).failed).toEqual([]);
    const segDirs = join(root, '.efsink/segments/aws/apigateway/test/2025/08/06');
    // Emptied by the pass (retention 0), kept: the next landing needs no mkdir and cannot race a prune.
    expect(await readdir(join(segDirs, '14.log'))).toEqual([]);
    now += SEGMENT_DIR_IDLE_MS + 1_000;
    expect((await s.sink.assemble()).failed).toEqual([]);
    // Idle past the bound: the empty folders go, and so do their parents that held nothing else.
    expect(await readdir(join(root, '.efsink/segments'))).toEqual([]);
  }, 60_000);

  it('skips a file whose lease another live holder has, appends nothing to it, and reports its oldest pending segment', async () => {
    // The clock runs 5 s ahead of the segments' landing times.
    const now = Date.now() + 5_000;
    const s = setup({}, () => now);
    await deliver(s, corpus);
    const stateDir = join(root, '.efsink/state/aws/apigateway/test/2025/08/06/14.log');
    await mkdir(stateDir, { recursive: true });
    await writeRemoteClaim(stateDir, now + 20_000);
    // One segment's mtime decades old, its ctime now: what an NFSv4.1 exclusive create can leave
    // (test/nfs FINDINGS F5). Its age is its landing time's, not 1990's.
    const segDir = join(root, '.efsink/segments/aws/apigateway/test/2025/08/06/14.log');
    const [first] = (await readdir(segDir)).sort();
    await utimes(join(segDir, first as string), new Date('1990-01-01Z'), new Date('1990-01-01Z'));
    const report = await s.sink.assemble();
    expect(report.files.find((f) => f.relPath.endsWith('14.log'))?.status).toBe('busy');
    expect((await readOutputs(root)).has('aws/apigateway/test/2025/08/06/14.log')).toBe(false);
    expect(report.oldestUnassembledAgeMs).toBeGreaterThan(4_000);
    expect(report.oldestUnassembledAgeMs).toBeLessThan(60_000);
  }, 60_000);

  it('respects a live lease file of the format before ADR 0013 (an older efsink may still hold it)', async () => {
    const now = Date.now();
    const s = setup({}, () => now);
    await deliver(s, corpus);
    const stateDir = join(root, '.efsink/state/aws/apigateway/test/2025/08/06/14.log');
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, 'lease'), remoteLease(now + 20_000));
    expect((await s.sink.assemble()).files.find((f) => f.relPath.endsWith('14.log'))?.status).toBe('busy');
    await writeFile(join(stateDir, 'lease'), remoteLease(now - 20_000)); // expired: broken
    expect((await s.sink.assemble()).files.find((f) => f.relPath.endsWith('14.log'))?.status).toBe(
      'assembled',
    );
  }, 60_000);

  it('takes over an expired lease by copying the committed prefix to a new inode (fencing the old holder)', async () => {
    let now = Date.now();
    const s = setup({}, () => now);
    await deliver(s, corpus.slice(0, 6));
    await s.sink.assemble();
    const relPath = 'aws/apigateway/test/2025/08/06/14.log';
    const out = join(root, relPath);
    const stateDir = join(root, '.efsink/state', relPath);
    // A holder on another machine took the lease, opened the file, then froze past its lease.
    await writeRemoteClaim(stateDir, now + 30_000);
    const staleFd = await open(out, 'r+');
    const inodeBefore = (await stat(out)).ino;
    now += 60_000;
    await deliver(s, corpus.slice(6));
    const report = await s.sink.assemble();
    expect(report.files.find((f) => f.relPath === relPath)?.tookOver).toBe(true);
    expect((await stat(out)).ino).not.toBe(inodeBefore);
    // The frozen holder wakes up and writes where it believed the end was: nobody reads that inode.
    await staleFd.write(Buffer.from('GARBAGE FROM A STALE HOLDER\n'), 0, 28, (await staleFd.stat()).size);
    await staleFd.close();
    await s.sink.assemble();
    const reference = await runOnceIn(
      await mkdtemp(join(tmpdir(), 'efsink-ref-')),
      corpus.slice(0, 6),
      corpus.slice(6),
    );
    expect(await readOutputs(root)).toEqual(reference);
  }, 60_000);

  it('reports ASSEMBLE_FENCED, committing nothing, when taken over between its write and its journal commit', async () => {
    let now = Date.now();
    const relPath = 'aws/apigateway/test/2025/08/06/14.log';
    // One file at a time: the hook below pauses at the first 'synced', which must be 14.log's.
    const config = loadSinkConfig(
      { root, segmentRetentionSeconds: 0, leaseSeconds: 30, assembleConcurrency: 1 },
      'flags',
    );
    const other = createSink(config, { log: silentLogger, now: () => now });
    let paused = false;
    const slow = createSink(config, {
      log: silentLogger,
      now: () => now,
      onStep: async (step) => {
        if (step !== 'synced' || paused) return;
        paused = true;
        // While this holder is "paused", its lease expires and another client takes the file over.
        now += 60_000;
        await other.assemble();
      },
    });
    await deliver({ config, sink: slow }, corpus);
    const report = await slow.assemble();
    expect(report.failed).toEqual([expect.objectContaining({ relPath, code: 'ASSEMBLE_FENCED' })]);
    await other.assemble();
    const reference = await runOnceIn(await mkdtemp(join(tmpdir(), 'efsink-ref-')), corpus);
    expect(await readOutputs(root)).toEqual(reference);
  }, 60_000);

  it('fails with ASSEMBLE_OUTPUT_NOT_OURS on a file efsink did not write, leaving other files assembled', async () => {
    const s = setup();
    await deliver(s, corpus);
    const foreign = join(root, 'aws/apigateway/test/2025/08/06/14.log');
    await mkdir(join(foreign, '..'), { recursive: true });
    await writeFile(foreign, 'somebody else\n');
    const report = await s.sink.assemble();
    expect(report.failed).toEqual([expect.objectContaining({ code: 'ASSEMBLE_OUTPUT_NOT_OURS' })]);
    expect(await readFile(foreign, 'utf8')).toBe('somebody else\n');
    expect(report.files.map((f) => [f.relPath, f.status])).toEqual([
      ['aws/apigateway/test/2025/08/06/15.log', 'assembled'],
    ]);
  }, 60_000);

  it('quarantines a damaged segment (SEGMENT_INVALID), appends the good ones, and fails the pass', async () => {
    const s = setup();
    await deliver(s, corpus);
    const relPath = 'aws/apigateway/test/2025/08/06/14.log';
    const segDir = join(root, '.efsink/segments', relPath);
    const [victim] = (await readdir(segDir)).sort();
    const victimBytes = await readFile(join(segDir, victim as string));
    const damaged = victimBytes.subarray(0, victimBytes.length - 1); // one byte short of its header's bodyBytes
    await writeFile(join(segDir, victim as string), damaged);
    const report = await s.sink.assemble();
    expect(report.failed).toEqual([
      expect.objectContaining({
        relPath,
        code: 'SEGMENT_INVALID',
        message: expect.stringContaining(victim as string),
      }),
    ]);
    expect(await readFile(join(root, '.efsink/quarantine', relPath, victim as string))).toEqual(damaged);
    // Everything else is there, exactly: the reference is a clean run without the damaged unit.
    const victimUnit = (victim as string).split('~')[1];
    const without = corpus.filter(
      (d) => !planOf(s, d).segments.some((g) => g.name.endsWith(`~${victimUnit}`)),
    );
    expect(without.length).toBe(corpus.length - 1);
    const reference = await runOnceIn(await mkdtemp(join(tmpdir(), 'efsink-ref-')), without);
    const got = await readOutputs(root);
    expect(got.get(relPath)).toEqual(reference.get(relPath));
    // The next pass has nothing left to complain about.
    expect((await s.sink.assemble()).failed).toEqual([]);
  }, 60_000);

  it('keeps assembled segments for the retention, then deletes them; a later redelivery is still a no-op', async () => {
    let now = Date.now();
    const s = setup({ segmentRetentionSeconds: 60 }, () => now);
    await deliver(s, corpus);
    const first = await s.sink.assemble();
    // Assembled segments leave the pending folder at once (ADR 0013) and wait in retired/.
    expect(first.files.reduce((n, f) => n + f.deletedSegments, 0)).toBeGreaterThan(0);
    expect(await countSegments()).toBe(0);
    expect(await countSegments('retired')).toBeGreaterThan(0);
    await s.sink.assemble();
    expect(await countSegments('retired')).toBeGreaterThan(0);
    now += 61_000 + 60_000;
    await s.sink.assemble();
    expect(await countSegments('retired')).toBe(0);
    const before = await readOutputs(root);
    await deliver(s, corpus);
    await s.sink.assemble();
    expect(await readOutputs(root)).toEqual(before);
  }, 60_000);
});

function planOf(s: { config: SinkConfig }, d: Delivery) {
  return planCloudWatchPayload(d.event.awslogs.data, s.config.template, 1 << 26).plan;
}

async function runOnce(deliveries: readonly Delivery[]): Promise<Map<string, Buffer>> {
  return runOnceIn(root, deliveries);
}

/** A clean run in another folder: deliver each batch, then assemble, batch after batch. */
async function runOnceIn(dir: string, ...batches: (readonly Delivery[])[]): Promise<Map<string, Buffer>> {
  const config = loadSinkConfig({ root: dir, segmentRetentionSeconds: 0 }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  for (const batch of batches) {
    await deliver({ config, sink }, batch);
    await sink.assemble();
  }
  return readOutputs(dir);
}

async function countSegments(folder = 'segments'): Promise<number> {
  const files = await readdir(join(root, '.efsink', folder), { recursive: true }).catch(() => []);
  return files.filter((f) => String(f).endsWith('.seg')).length;
}

/** Another machine's pass claims the next epoch of the file (ADR 0013: the newest claim is the lease). */
async function writeRemoteClaim(stateDir: string, expiresAtMs: number): Promise<void> {
  const claims = (await readdir(stateDir)).filter((n) => n.startsWith('claim-')).sort();
  const next = Number((claims[claims.length - 1] ?? 'claim-0').slice('claim-'.length)) + 1;
  await writeFile(join(stateDir, `claim-${String(next).padStart(12, '0')}`), remoteLease(expiresAtMs));
}

function remoteLease(expiresAtMs: number): string {
  return JSON.stringify({
    token: 'remote.1',
    holder: 'other-client',
    host: `not-${hostname()}`,
    bootId: 'x',
    pid: 1,
    acquiredAtMs: expiresAtMs - 30_000,
    expiresAtMs,
  });
}
