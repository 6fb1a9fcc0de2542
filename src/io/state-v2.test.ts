import { link, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCorpus, type Delivery, readOutputs } from '../../test/support/corpus.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { decodeSegmentHeader } from '../core/write/segment-file.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { silentLogger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import { readCoverage } from './coverage.js';
import { readMarker, writeBatch } from './journal.js';
import { createSink, type Sink } from './sink.js';

const REL = 'aws/apigateway/test/2025/08/06/14.log';
const corpus = buildCorpus({
  streams: 2,
  payloadsPerStream: 8,
  eventsPerPayload: 4,
  startMs: Date.UTC(2025, 7, 6, 14, 10, 0),
  stepMs: 1000,
});
const early = corpus.slice(0, 8);
const late = corpus.slice(8);

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-v2-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function sinkAt(dir: string, retentionSeconds = 0): { sink: Sink; config: SinkConfig } {
  const config = loadSinkConfig({ root: dir, segmentRetentionSeconds: retentionSeconds }, 'flags');
  return { config, sink: createSink(config, { log: silentLogger }) };
}

async function deliver(s: { sink: Sink; config: SinkConfig }, ds: readonly Delivery[]): Promise<void> {
  for (const d of ds)
    await ingestCloudWatchLogsEvent(d.event, { ...s, log: silentLogger, metrics: noMetrics });
}

async function reference(...batches: (readonly Delivery[])[]): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(tmpdir(), 'efsink-v2-ref-'));
  const s = sinkAt(dir);
  for (const b of batches) {
    await deliver(s, b);
    await s.sink.assemble();
  }
  const out = await readOutputs(dir);
  await rm(dir, { recursive: true, force: true });
  return out;
}

/**
 * What efsink wrote before ADR 0013 for one output file: the segments appended in name order, a
 * version-1 journal listing every one of them inline, an empty claim, and the segments still in the
 * pending folder (kept for the retention).
 */
async function writeV1Root(dir: string, deliveries: readonly Delivery[]): Promise<void> {
  await deliver(sinkAt(dir), deliveries);
  const segDir = join(dir, '.efsink/segments', REL);
  const names = (await readdir(segDir)).sort();
  const bodies: Buffer[] = [];
  const segments: Record<string, unknown> = {};
  let offset = 0;
  for (const name of names) {
    const file = await readFile(join(segDir, name));
    const header = decodeSegmentHeader(file);
    const body = file.subarray(header.bodyOffset);
    segments[name] = {
      offset,
      length: body.length,
      committedAtMs: 1,
      ...(header.meta ? { meta: header.meta } : {}),
    };
    bodies.push(body);
    offset += body.length;
  }
  const out = join(dir, REL);
  await mkdir(join(out, '..'), { recursive: true });
  await writeFile(out, Buffer.concat(bodies));
  const ino = (await stat(out)).ino;
  const stateDir = join(dir, '.efsink/state', REL);
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, 'claim-000000000003'), '');
  const v1 = { version: 1, epoch: 3, ino, committedLength: offset, released: true, segments };
  await writeFile(join(stateDir, 'journal-000000000003.json'), JSON.stringify(v1));
}

describe('assembly state v2 (ADR 0013)', () => {
  it('upgrades a v1 journal in place: same bytes, and units it held stay deduplicated after their segments are gone', async () => {
    await writeV1Root(root, early);
    const s = sinkAt(root);
    await deliver(s, [...late, ...early]); // early ones again: already present, nothing lands
    const report = await s.sink.assemble();
    expect(report.failed).toEqual([]);
    const file = report.files.find((f) => f.relPath === REL);
    expect(file?.tookOver).toBe(false); // a clean upgrade reuses the inode
    expect(await readOutputs(root)).toEqual(await reference(early, late));
    const stateDir = join(root, '.efsink/state', REL);
    const head = JSON.parse(
      await readFile(
        join(
          stateDir,
          (await readdir(stateDir))
            .filter((n) => n.startsWith('journal-'))
            .sort()
            .pop() as string,
        ),
        'utf8',
      ),
    );
    expect(head).toMatchObject({ version: 2, released: true, gen: 3, ancestors: [] });
    expect(head.segments).toBeUndefined();
    // Every segment is marked; the pending folder is empty.
    expect((await readdir(join(stateDir, 'done'))).length).toBe(corpus.length);
    expect(await readdir(join(root, '.efsink/segments', REL)).catch(() => [])).toEqual([]);
    // Redelivered after their segments were pruned (retention 0): landing finds their markers and
    // lands nothing, and nothing is added.
    await deliver(s, corpus);
    expect(await readdir(join(root, '.efsink/segments', REL)).catch(() => [])).toEqual([]);
    expect((await s.sink.assemble()).files.find((f) => f.relPath === REL)).toBeUndefined();
    expect(await readOutputs(root)).toEqual(await reference(early, late));
    // A landing that misses the markers (on NFS: a cached negative lookup) lands them again; the
    // assembler finds the markers and adds nothing either.
    await rename(join(stateDir, 'done'), join(stateDir, 'done-hidden'));
    await deliver(s, corpus);
    await rename(join(stateDir, 'done-hidden'), join(stateDir, 'done'));
    expect(await readdir(join(root, '.efsink/segments', REL))).toHaveLength(corpus.length);
    expect((await s.sink.assemble()).files.find((f) => f.relPath === REL)?.duplicateSegments).toBe(
      corpus.length,
    );
    expect(await readOutputs(root)).toEqual(await reference(early, late));
    // Backfill's coverage sees every unit, v1 ones included.
    expect((await readCoverage(s.sink.layout, REL)).metas).toHaveLength(corpus.length);
  }, 60_000);

  it('upgrades a v1 journal whose holder never released it: a takeover whose ancestors keep the v1 markers valid', async () => {
    await writeV1Root(root, early);
    const stateDir = join(root, '.efsink/state', REL);
    const path = join(stateDir, 'journal-000000000003.json');
    await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), released: false }));
    const s = sinkAt(root);
    await deliver(s, late);
    const report = await s.sink.assemble();
    expect(report.files.find((f) => f.relPath === REL)).toMatchObject({
      tookOver: true,
      duplicateSegments: early.length,
    });
    expect(await readOutputs(root)).toEqual(await reference(early, late));
    await deliver(s, early);
    await s.sink.assemble();
    expect(await readOutputs(root)).toEqual(await reference(early, late));
  }, 60_000);

  it('writes a constant-size head per commit and lists only unassembled segments, however long the history', async () => {
    const s = sinkAt(root);
    const stateDir = join(root, '.efsink/state', REL);
    const heads: number[] = [];
    for (const d of corpus) {
      await deliver(s, [d]);
      const report = await s.sink.assemble();
      expect(report.files.find((f) => f.relPath === REL)?.appendedSegments).toBe(1);
      const names = (await readdir(stateDir)).filter((n) => n.startsWith('journal-')).sort();
      heads.push((await stat(join(stateDir, names[names.length - 1] as string))).size);
      // The pending folder never holds what was assembled; the state folder stays a few entries long.
      expect(await readdir(join(root, '.efsink/segments', REL)).catch(() => [])).toEqual([]);
      expect((await readdir(stateDir)).length).toBeLessThanOrEqual(2 + 2 + 9);
    }
    // The head of the 16th pass is as long as the 2nd's (± digits of the growing length).
    expect(Math.max(...heads.slice(1)) - Math.min(...heads.slice(1))).toBeLessThanOrEqual(4);
    expect(await readOutputs(root)).toEqual(await reference(...corpus.map((d) => [d])));
  }, 120_000);

  it('ignores a marker whose batch was never committed (crash after marking, before the commit)', async () => {
    const s = sinkAt(root);
    await deliver(s, early);
    await s.sink.assemble();
    // A batch record + marker for a late segment, at an offset past the committed length: a pass
    // that crashed after linking its markers and before committing its head.
    await deliver(s, late);
    const stateDir = join(root, '.efsink/state', REL);
    const pending = (await readdir(join(root, '.efsink/segments', REL))).sort();
    const head = JSON.parse(
      await readFile(
        join(
          stateDir,
          (await readdir(stateDir))
            .filter((n) => n.startsWith('journal-'))
            .sort()
            .pop() as string,
        ),
        'utf8',
      ),
    );
    const record = join(root, '.efsink/tmp/record.json');
    const entries = pending.map((name, i) => ({
      name,
      offset: head.committedLength + i,
      length: 1,
      committedAtMs: 1,
    }));
    await writeFile(record, JSON.stringify({ version: 2, gen: head.gen, epoch: head.epoch + 1, entries }));
    for (const name of pending) await link(record, join(stateDir, 'done', name));
    const report = await s.sink.assemble();
    expect(report.files.find((f) => f.relPath === REL)?.appendedSegments).toBe(pending.length);
    expect(await readOutputs(root)).toEqual(await reference(early, late));
    const fh = await open(join(root, REL), 'r');
    await fh.close();
  }, 60_000);
});

describe('a takeover that cannot finish its copy in one pass (issue 10 item 4)', () => {
  it('resumes from its last checkpoint on the next pass instead of starting again', async () => {
    const { assembleFile } = await import('./assemble-file.js');
    const { rootLayout } = await import('./layout.js');
    const s = sinkAt(root);
    await deliver(s, early);
    await s.sink.assemble();
    const stateDir = join(root, '.efsink/state', REL);
    const committed = (await stat(join(root, REL))).size;
    // The last pass never released its journal: the next one must copy.
    const names = (await readdir(stateDir)).filter((n) => n.startsWith('journal-')).sort();
    const last = join(stateDir, names[names.length - 1] as string);
    await writeFile(last, JSON.stringify({ ...JSON.parse(await readFile(last, 'utf8')), released: false }));
    await deliver(s, late);
    const progressOf = async (): Promise<number> => {
      const p = (await readdir(stateDir)).find((n) => n.endsWith('.progress'));
      return p === undefined
        ? 0
        : (JSON.parse(await readFile(join(stateDir, p), 'utf8')) as { copied: number }).copied;
    };
    const checkpoints: number[] = [];
    const opts = (stopAfter: number) => ({
      layout: rootLayout(root),
      leaseMs: 30_000,
      clockSkewMs: 2_000,
      segmentRetentionMs: 0,
      maxBatchBytes: 1 << 20,
      holder: 'copier',
      now: Date.now,
      log: silentLogger,
      copyCheckpointBytes: 100,
      onStep: async (step: string) => {
        if (step !== 'copy-progress') return;
        checkpoints.push(await progressOf());
        if (checkpoints.length === stopAfter) throw new Error('timed out (simulated)');
      },
    });
    await expect(assembleFile(opts(3), REL)).rejects.toThrow('timed out');
    const firstRun = await progressOf();
    expect(firstRun).toBe(300);
    checkpoints.length = 0;
    const report = await assembleFile(opts(Number.POSITIVE_INFINITY), REL);
    expect(report).toMatchObject({ status: 'assembled', tookOver: true });
    // The second pass started where the first stopped: its first checkpoint is one step further.
    expect(checkpoints[0]).toBe(400);
    expect(checkpoints.length).toBe(Math.ceil(committed / 100) - 1 - 3);
    expect(await readOutputs(root)).toEqual(await reference(early, late));
    expect((await readdir(stateDir)).filter((n) => n.startsWith('copy-'))).toEqual([]);
  }, 60_000);
});

describe('batch markers (ADR 0013 §5)', () => {
  it('fails with ASSEMBLE_FENCED, leaving the marker alone, when a newer epoch already marked the segment', async () => {
    // A holder paused between its lease check and its markers, while a newer epoch assembled the
    // same segment: replacing that epoch's (valid) marker would let a later redelivery in twice.
    const stateDir = join(root, 'state');
    const tmp = join(root, 'tmp');
    await mkdir(join(stateDir, 'done'), { recursive: true });
    await mkdir(join(stateDir, 'batches'), { recursive: true });
    await mkdir(tmp, { recursive: true });
    const entry = { name: 'a~u1.seg', offset: 0, length: 10, committedAtMs: 1 };
    await writeBatch(stateDir, tmp, 0, { version: 2, gen: 7, epoch: 7, entries: [entry] }, 8);
    await expect(
      writeBatch(stateDir, tmp, 0, { version: 2, gen: 5, epoch: 6, entries: [entry] }, 8),
    ).rejects.toMatchObject({ code: 'ASSEMBLE_FENCED' });
    expect(await readMarker(stateDir, entry.name)).toMatchObject({ gen: 7, epoch: 7 });
    // An older epoch's marker (a batch that never became valid) is replaced.
    await writeBatch(stateDir, tmp, 1, { version: 2, gen: 8, epoch: 8, entries: [entry] }, 8);
    expect(await readMarker(stateDir, entry.name)).toMatchObject({ gen: 8, epoch: 8 });
  });
});

describe('takeover copies (ADR 0013 §7)', () => {
  it('removes a copy whose source is no longer the output file, and keeps one of the current file', async () => {
    const s = sinkAt(root);
    await deliver(s, early);
    await s.sink.assemble();
    const stateDir = join(root, '.efsink/state', REL);
    const ino = (await stat(join(root, REL))).ino;
    // Abandoned: its source inode was replaced by another takeover (it can never be published).
    await writeFile(join(stateDir, `copy-1-${ino + 1}.part`), 'x'.repeat(100));
    await writeFile(join(stateDir, `copy-1-${ino + 1}.progress`), '{"copied":100}');
    // Of the current file: whoever takes it over next resumes it.
    await writeFile(join(stateDir, `copy-1-${ino}.part`), 'y'.repeat(10));
    await deliver(s, late);
    expect((await s.sink.assemble()).failed).toEqual([]);
    expect((await readdir(stateDir)).filter((n) => n.startsWith('copy-'))).toEqual([`copy-1-${ino}.part`]);
    expect(await readOutputs(root)).toEqual(await reference(early, late));
  }, 60_000);
});
