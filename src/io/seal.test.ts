import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCorpus, type Delivery, readOutputs } from '../../test/support/corpus.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { silentLogger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import { dayBucket, entryName, publishEntry } from './activity-index.js';
import type { AssembleOptions } from './assemble-file.js';
import { forgetVerifiedDirs } from './confine.js';
import { readCoverage } from './coverage.js';
import { type FsPort, installFsPort, realFs } from './fs-port.js';
import { rootLayout } from './layout.js';
import { forgetSealSchedule, maybeSweepIdleState, sweepIdleState } from './seal.js';
import { createSink, type Sink } from './sink.js';

/**
 * Sealing idle assembly state (ADR 0017). Idleness is judged by the output file's last write
 * (mtime and ctime, the latter set by the file system's own clock and impossible to back-date), so
 * these tests use a seal age of 1 s and wait past it; the activity index is written with a clock
 * three days back, so that its bucket is one whose day has ended.
 */

const DAY_MS = 86_400_000;
const SEAL_AFTER_MS = 1_000;
const REL14 = 'aws/apigateway/test/2025/08/06/14.log';
const REL15 = 'aws/apigateway/test/2025/08/06/15.log';
// Units spanning 14:59:40–15:00:12: both hours' files.
const corpus = buildCorpus({
  streams: 2,
  payloadsPerStream: 8,
  eventsPerPayload: 4,
  startMs: Date.UTC(2025, 7, 6, 14, 59, 40),
  stepMs: 1000,
});
const early = corpus.slice(0, 12);
// Later units, into 15.log only.
const later = buildCorpus({
  streams: 1,
  payloadsPerStream: 3,
  eventsPerPayload: 4,
  startMs: Date.UTC(2025, 7, 6, 15, 20, 0),
  stepMs: 1000,
});

let root: string;
const clock = { now: 0 };
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-seal-'));
  clock.now = Date.now() - 3 * DAY_MS;
  forgetSealSchedule();
  forgetVerifiedDirs();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Setup {
  readonly sink: Sink;
  readonly config: SinkConfig;
  readonly opts: AssembleOptions;
}

function setup(dir = root, sealAfterMs = SEAL_AFTER_MS): Setup {
  const config = loadSinkConfig(
    { root: dir, segmentRetentionSeconds: 0, sealAfterSeconds: sealAfterMs / 1000 },
    'flags',
  );
  const sink = createSink(config, { log: silentLogger, now: () => clock.now });
  const opts: AssembleOptions = {
    layout: rootLayout(dir),
    leaseMs: 30_000,
    clockSkewMs: 2_000,
    segmentRetentionMs: 0,
    maxBatchBytes: 1 << 20,
    holder: 'sealer',
    now: () => clock.now,
    log: silentLogger,
    sealAfterMs,
  };
  return { sink, config, opts };
}

async function deliver(s: Setup, ds: readonly Delivery[]): Promise<void> {
  for (const d of ds)
    await ingestCloudWatchLogsEvent(d.event, { ...s, log: silentLogger, metrics: noMetrics });
}

async function assembleOk(s: Setup) {
  const report = await s.sink.assemble();
  expect(report.failed).toEqual([]);
  return report;
}

const stateOf = (rel: string, dir = root) => join(dir, '.efsink/state', rel);
const list = (dir: string) => readdir(dir).catch(() => [] as string[]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until files written so far are older than the seal age, then moves the clock to now. */
async function pastSealAge(): Promise<void> {
  await sleep(SEAL_AFTER_MS + 200);
  clock.now = Date.now();
}

async function newestHead(rel: string): Promise<{ released: boolean; epoch: number }> {
  const heads = (await list(stateOf(rel))).filter((n) => n.startsWith('journal-')).sort();
  return JSON.parse(await readFile(join(stateOf(rel), heads.at(-1) as string), 'utf8'));
}

describe('sealing idle assembly state (ADR 0017)', () => {
  it('removes done/ of a file idle past the seal age, keeps its batch records and coverage, and keeps done/ of a file written since', async () => {
    const s = setup();
    await deliver(s, early);
    await assembleOk(s);
    const bucket = dayBucket(clock.now);
    expect((await list(join(root, '.efsink/gc', bucket))).sort()).toEqual(
      [entryName(REL14), entryName(REL15)].sort(),
    );
    const markers14 = (await list(join(stateOf(REL14), 'done'))).length;
    const batches14 = await list(join(stateOf(REL14), 'batches'));
    expect(markers14).toBeGreaterThan(0);
    const coverage14 = await readCoverage(s.sink.layout, REL14);
    await sleep(SEAL_AFTER_MS + 200);
    await deliver(s, later); // 15.log is written again: not idle
    await assembleOk(s);
    const markers15 = (await list(join(stateOf(REL15), 'done'))).length;
    clock.now = Date.now();

    const report = await sweepIdleState(s.opts);

    expect(report).toMatchObject({ sealedFiles: 1, activeFiles: 1, entriesDone: 2, failures: [] });
    expect(report.removedMarkers).toBe(markers14);
    expect(await list(join(stateOf(REL14), 'done'))).toEqual([]);
    expect(await stat(join(stateOf(REL14), 'done')).catch(() => undefined)).toBeUndefined();
    expect(await list(join(stateOf(REL14), 'batches'))).toEqual(batches14);
    expect((await list(join(stateOf(REL15), 'done'))).length).toBe(markers15);
    // Backfill's event-id dedupe (ADR 0004) reads batch records: unchanged by the seal.
    expect(await readCoverage(s.sink.layout, REL14)).toEqual(coverage14);
    // The old bucket is gone; 15.log was moved to the bucket of its last write's day.
    expect(await list(join(root, '.efsink/gc'))).toEqual([dayBucket(clock.now)]);
    expect(await list(join(root, '.efsink/gc', dayBucket(clock.now)))).toEqual([entryName(REL15)]);
    expect(await newestHead(REL14)).toMatchObject({ released: true });
  });

  it('a pass after a seal reuses the inode (no takeover) and appends new segments; the bytes before are unchanged', async () => {
    const s = setup();
    await deliver(s, early);
    await assembleOk(s);
    const before = await readOutputs(root);
    const ino = (await stat(join(root, REL15))).ino;
    await pastSealAge();
    expect((await sweepIdleState(s.opts)).sealedFiles).toBe(2);

    await deliver(s, later);
    const report = await assembleOk(s);
    const file15 = report.files.find((f) => f.relPath === REL15);
    expect(file15).toMatchObject({ status: 'assembled', tookOver: false, appendedSegments: later.length });
    expect((await stat(join(root, REL15))).ino).toBe(ino);
    const after = await readOutputs(root);
    expect(after.get(REL14)).toEqual(before.get(REL14));
    const ref = await reference([early, later]);
    expect(after).toEqual(ref);
    // The file is registered again by the pass that wrote it.
    expect(await list(join(root, '.efsink/gc', dayBucket(clock.now)))).toEqual([entryName(REL15)]);
  });

  it('after a seal a redelivered unit is appended again (only possible past every source window)', async () => {
    const s = setup();
    await deliver(s, early);
    await assembleOk(s);
    await deliver(s, early); // within the window: recognized, nothing lands
    await assembleOk(s);
    const before = await readOutputs(root);
    expect(before).toEqual(await reference([early]));
    await pastSealAge();
    await sweepIdleState(s.opts);
    await deliver(s, [early[0] as Delivery]);
    await assembleOk(s);
    const after = await readOutputs(root);
    const grown = [...after].filter(([rel, bytes]) => bytes.length > (before.get(rel)?.length ?? 0));
    expect(grown.length).toBeGreaterThan(0);
  });

  it('resumes a partly sealed file at the next sweep; its entry stays until done/ is gone, and no pass takes over meanwhile', async () => {
    const s = setup();
    await deliver(s, early);
    await assembleOk(s);
    const markers =
      (await list(join(stateOf(REL14), 'done'))).length + (await list(join(stateOf(REL15), 'done'))).length;
    await pastSealAge();
    const bucket = join(root, '.efsink/gc', dayBucket(clock.now - 3 * DAY_MS));
    const entries = (await list(bucket)).length;
    expect(entries).toBe(2);

    const first = await sweepIdleState(s.opts, { timeMs: 60_000, markers: 3, entries: 100 });
    expect(first).toMatchObject({ exhausted: true, removedMarkers: 3, sealedFiles: 0, entriesDone: 0 });
    expect(await list(bucket)).toHaveLength(2);
    expect(await newestHead(REL14)).toMatchObject({ released: true });

    const second = await sweepIdleState(s.opts);
    expect(second).toMatchObject({ exhausted: false, sealedFiles: 2, failures: [] });
    expect(second.removedMarkers + 3).toBe(markers);
    expect(await list(join(root, '.efsink/gc'))).toEqual([]);

    await deliver(s, later);
    const report = await assembleOk(s);
    expect(report.files.find((f) => f.relPath === REL15)).toMatchObject({ tookOver: false });
    expect(await readOutputs(root)).toEqual(await reference([early, later]));
  });

  it('a failing sweep never fails the pass: it is logged with a code and counted', async () => {
    const s = setup();
    await deliver(s, early);
    await assembleOk(s);
    await pastSealAge();
    await deliver(s, later);
    const restore = installFsPort({
      ...realFs,
      unlink: (async (path: string) => {
        if (String(path).includes('/done/')) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        return realFs.unlink(path);
      }) as FsPort['unlink'],
    });
    let report: Awaited<ReturnType<Sink['assemble']>>;
    try {
      report = await s.sink.assemble();
    } finally {
      restore();
    }
    expect(report.failed).toEqual([]);
    expect(report.files.find((f) => f.relPath === REL15)).toMatchObject({ appendedSegments: later.length });
    expect(report.seal?.failures.map((f) => f.code)).toEqual(['FS_EIO']);
    // The failed seal still gave the file back with a released head: the next pass reuses it.
    expect(await newestHead(REL14)).toMatchObject({ released: true });
    // 14.log was left as it was, and its entry stays for the next sweep.
    expect((await list(join(stateOf(REL14), 'done'))).length).toBeGreaterThan(0);
    expect(await list(join(root, '.efsink/gc', dayBucket(clock.now - 3 * DAY_MS)))).toContain(
      entryName(REL14),
    );
  });

  it('sweeps at most once per 10 minutes per process, and again after 15 s while a backlog is left', async () => {
    const s = setup();
    await deliver(s, early);
    expect((await assembleOk(s)).seal).toBeDefined(); // the first pass of a process sweeps
    expect((await assembleOk(s)).seal).toBeUndefined();
    clock.now += 9 * 60_000;
    expect((await assembleOk(s)).seal).toBeUndefined();
    clock.now += 60_000;
    expect((await assembleOk(s)).seal).toMatchObject({ exhausted: false });
    // A backlog: a sweep that stops on its budget is followed by another 15 s later, not 10 min.
    await pastSealAge();
    const budget = { timeMs: 60_000, markers: 2, entries: 100 };
    const first = await maybeSweepIdleState(s.opts, budget);
    expect(first).toMatchObject({ exhausted: true, removedMarkers: 2 });
    clock.now += 14_000;
    expect(await maybeSweepIdleState(s.opts, budget)).toBeUndefined();
    clock.now += 1_000;
    expect(await maybeSweepIdleState(s.opts, budget)).toMatchObject({ removedMarkers: 2 });
  });

  it('registers a file once per process per day, not on every pass', async () => {
    const s = setup(root, 30 * DAY_MS); // no sweep finds anything due (it would move entries)
    let gcWrites = 0;
    const restore = installFsPort({
      ...realFs,
      rename: (async (from: string, to: string) => {
        if (String(to).includes('/.efsink/gc/')) gcWrites++;
        return realFs.rename(from, to);
      }) as FsPort['rename'],
    });
    try {
      await deliver(s, early);
      await assembleOk(s);
      expect(gcWrites).toBe(2); // 14.log and 15.log
      await deliver(s, later.slice(0, 1));
      await assembleOk(s);
      expect(gcWrites).toBe(2);
      clock.now += DAY_MS; // a new UTC day
      await deliver(s, later.slice(1));
      await assembleOk(s);
      expect(gcWrites).toBe(3);
    } finally {
      restore();
    }
  });

  it('costs the same whatever the number of entries earlier sweeps handled (10 or 1,000): fs-port calls counted', async () => {
    const calls = async (history: number): Promise<{ earlier: number; measured: number }> => {
      const dir = join(root, `h${history}`);
      await mkdir(dir);
      const s = setup(dir);
      const layout = s.sink.layout;
      clock.now = Date.now();
      // Entries of files long gone, spread over ten old days, handled by an earlier sweep.
      for (let i = 0; i < history; i++)
        await publishEntry(layout, dayBucket(clock.now - (40 + (i % 10)) * DAY_MS), `g/old-${i}.log`);
      forgetVerifiedDirs();
      const earlier = await counted(() => sweepIdleState(s.opts));
      // Then a file assembled three days ago and idle since.
      clock.now = Date.now() - 3 * DAY_MS;
      await deliver(s, early);
      await assembleOk(s);
      await pastSealAge();
      forgetVerifiedDirs();
      const measured = await counted(async () => {
        const r = await sweepIdleState(s.opts);
        expect(r).toMatchObject({ sealedFiles: 2, failures: [] });
      });
      return { earlier, measured };
    };
    const small = await calls(10);
    const large = await calls(1000);
    // The earlier sweeps did work proportional to their entries...
    expect(large.earlier).toBeGreaterThan(small.earlier * 20);
    // ...and left nothing behind that a later sweep pays for.
    expect(large.measured).toBe(small.measured);
  }, 60_000);

  it('refuses a symlink at .efsink/gc or inside it, and follows neither', async () => {
    const s = setup();
    await deliver(s, early);
    await assembleOk(s);
    await pastSealAge();
    const gc = join(root, '.efsink/gc');
    const outside = await mkdtemp(join(tmpdir(), 'efsink-seal-outside-'));
    try {
      // A bucket planted behind a symlinked gc folder: refused, nothing sealed, nothing removed outside.
      await rm(gc, { recursive: true });
      const old = dayBucket(clock.now - 30 * DAY_MS);
      await mkdir(join(outside, old), { recursive: true });
      await writeFile(join(outside, old, entryName(REL14)), REL14);
      await symlink(outside, gc);
      forgetVerifiedDirs();
      const viaLink = await sweepIdleState(s.opts).catch((err: unknown) => err);
      expect((viaLink as { code?: string }).code).toBe('FS_SYMLINK_REFUSED');
      expect(await list(join(outside, old))).toEqual([entryName(REL14)]);
      expect((await list(join(stateOf(REL14), 'done'))).length).toBeGreaterThan(0);
      // A pass still succeeds (registration through the symlink is refused and logged, not followed).
      clock.now += DAY_MS;
      await deliver(s, later);
      await assembleOk(s);
      expect((await list(outside)).sort()).toEqual([old]);

      // A symlinked bucket inside a real gc folder: refused too.
      await rm(gc);
      await mkdir(gc);
      await symlink(join(outside, old), join(gc, old));
      forgetVerifiedDirs();
      const report = await sweepIdleState(s.opts);
      expect(report.failures.map((f) => f.code)).toEqual(['FS_SYMLINK_REFUSED']);
      expect(report.sealedFiles).toBe(0);
      expect(await list(join(outside, old))).toEqual([entryName(REL14)]);
      expect((await list(join(stateOf(REL14), 'done'))).length).toBeGreaterThan(0);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("the runbook's registration makes files assembled before sealing existed sealable, and is harmless run twice", async () => {
    // docs/runbook.md, "Sealing idle state": the shell snippet an operator runs once after upgrading.
    const runbook = await readFile(join(import.meta.dirname, '../../docs/runbook.md'), 'utf8');
    const section = runbook.slice(runbook.indexOf('**Sealing idle state'));
    const snippet = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet, 'the runbook keeps its registration snippet').toBeDefined();
    const s = setup();
    await deliver(s, early);
    await assembleOk(s);
    // As a version without sealing left it: no activity index at all.
    await rm(join(root, '.efsink/gc'), { recursive: true });
    const markers14 = (await list(join(stateOf(REL14), 'done'))).length;
    const markers15 = (await list(join(stateOf(REL15), 'done'))).length;
    expect(markers14 + markers15).toBeGreaterThan(0);
    await pastSealAge();
    expect(await sweepIdleState(s.opts)).toMatchObject({ sealedFiles: 0, removedMarkers: 0 });

    for (let run = 0; run < 2; run++) {
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', snippet as string], {
        env: { ...process.env, ROOT: root },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
    }
    // One entry per output file, named as the assembler names them, and nothing else.
    expect((await list(join(root, '.efsink/gc/20000101'))).sort()).toEqual(
      [entryName(REL14), entryName(REL15)].sort(),
    );

    const report = await sweepIdleState(s.opts);
    expect(report).toMatchObject({ sealedFiles: 2, entriesDone: 2, failures: [] });
    expect(report.removedMarkers).toBe(markers14 + markers15);
    expect(await list(join(stateOf(REL14), 'done'))).toEqual([]);
    expect(await list(join(stateOf(REL15), 'done'))).toEqual([]);
  });
});

async function reference(batches: readonly (readonly Delivery[])[]): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(tmpdir(), 'efsink-seal-ref-'));
  try {
    const s = setup(dir);
    for (const b of batches) {
      await deliver(s, b);
      await s.sink.assemble();
    }
    return await readOutputs(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How many fs-port calls `fn` makes. */
async function counted(fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const port: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(realFs) as [string, (...a: unknown[]) => Promise<unknown>][])
    port[name] = (...args: unknown[]) => {
      n++;
      return f(...args);
    };
  const restore = installFsPort(port as unknown as FsPort);
  try {
    await fn();
  } finally {
    restore();
  }
  return n;
}
