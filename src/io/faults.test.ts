import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCorpus, type Delivery, readOutputs } from '../../test/support/corpus.js';
import { type CallPoint, type Fault, sweepFaults } from '../../test/support/faulty-fs.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { isEfsinkError } from '../core/errors.js';
import { planCloudWatchPayload } from '../core/write/plan-cloudwatch.js';
import type { UnitPlan } from '../core/write/plan-segments.js';
import { encodeSegmentHeader } from '../core/write/segment-file.js';
import { silentLogger } from '../observability/logger.js';
import { inodeOf } from './assemble-file.js';
import { forgetVerifiedDirs } from './confine.js';
import { currentJournal, listState } from './journal.js';
import { forgetSealSchedule } from './seal.js';
import { createSink, type Sink } from './sink.js';

/**
 * The fault sweep (issue 11): every file-system call made while landing and while assembling is
 * faulted in turn — ENOSPC, EDQUOT, EIO, ESTALE, ETIMEDOUT (done, reply lost), and, for writes, a
 * short write and a torn write — and after each faulted run the state must be one the guarantees
 * allow, and a rerun must converge to files byte-identical to an uninterrupted run.
 */

/**
 * The everyday suite faults every point with one kind (taking turns); `npm run test:faults` faults
 * every point with every kind, over a larger corpus.
 */
const FULL = process.env.EFSINK_FAULT_SWEEP === 'full';
const KINDS = FULL ? 'all' : 'rotate';
const HOUR_EDGE = Date.UTC(2025, 7, 6, 14, 59, 0);
const NOW = HOUR_EDGE + 600_000;
const corpus = buildCorpus({
  streams: 2,
  payloadsPerStream: FULL ? 3 : 1,
  eventsPerPayload: 4,
  startMs: HOUR_EDGE + 40_000,
  stepMs: 9_000,
});
const base = join(tmpdir(), `efsink-faults-${process.pid}`);
const covered: { scenario: string; points: number; runs: number }[] = [];

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
  const total = covered.reduce((n, c) => n + c.runs, 0);
  // The count the issue asks to report (printed, and asserted below to be non-trivial).
  console.log(
    `fault sweep: ${total} faulted runs over ${covered.map((c) => `${c.scenario} ${c.points} points/${c.runs} runs`).join(', ')}`,
  );
});

function sinkAt(root: string, maxBatchBytes = 1 << 20): { config: SinkConfig; sink: Sink } {
  // One file at a time: the sweep faults "call #N", so the calls must come in the same order in every
  // run; with files assembled concurrently (the default), #N is a different call from run to run.
  const config = loadSinkConfig(
    { root, segmentRetentionSeconds: 0, leaseSeconds: 30, maxBatchBytes, assembleConcurrency: 1 },
    'flags',
  );
  return {
    config,
    sink: createSink(config, {
      log: silentLogger,
      now: () => NOW,
      holder: 'sweep',
      // Every pass sweeps and prunes, so the sweep covers housekeeping's calls in each run.
      housekeepingIntervalMs: 0,
    }),
  };
}

function planOf(config: SinkConfig, d: Delivery): UnitPlan {
  return planCloudWatchPayload(d.event.awslogs.data, config.template, 1 << 26).plan;
}

async function fresh(root: string): Promise<void> {
  // Confinement caches the directories it verified (per process): forget them, so that every run
  // makes the same calls in the same order and fault point N is the same call in each (ADR 0014).
  forgetVerifiedDirs();
  // Likewise the activity index's once-a-day registrations and the sealing sweep's schedule (ADR 0017).
  forgetSealSchedule();
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
}

/** Every `*.seg` file under the segments folder, relative path → bytes. */
async function segmentFiles(root: string): Promise<Map<string, Buffer>> {
  const dir = join(root, '.efsink/segments');
  const names = (await readdir(dir, { recursive: true }).catch(() => [])).map(String);
  const out = new Map<string, Buffer>();
  for (const n of names.filter((x) => x.endsWith('.seg')).sort()) out.set(n, await readFile(join(dir, n)));
  return out;
}

/** A failure the source can act on: an efsink code, or a named errno (surfaces as `FS_<errno>`). */
function expectCoded(outcome: unknown, where: string): void {
  const code = isEfsinkError(outcome) ? outcome.code : (outcome as NodeJS.ErrnoException).code;
  expect(typeof code, where).toBe('string');
  expect(code, where).toMatch(/^[A-Z][A-Z0-9_]+$/);
}

function describeFault(fault: Fault, point: CallPoint, root: string): string {
  return `${fault.kind} at call #${point.index} ${point.op} ${point.path.replace(root, '<root>')}`;
}

describe('fault sweep', () => {
  it('landing: a faulted landing leaves no partial segment and fails with a code; a retry converges', async () => {
    const root = join(base, 'land');
    const refRoot = join(base, 'land-ref');
    // A unit spanning the hour boundary: two segments, in two folders.
    const delivery = corpus[0] as Delivery;
    await fresh(refRoot);
    const ref = sinkAt(refRoot);
    const plan = planOf(ref.config, delivery);
    expect(plan.segments.length).toBe(2);
    await ref.sink.land(plan);
    await ref.sink.assemble();
    const refOutputs = await readOutputs(refRoot);
    const refSegments = new Map(
      plan.segments.map((s) => [
        join(s.relPath, s.name),
        Buffer.concat([encodeSegmentHeader(s.bytes.length, s.meta), s.bytes]),
      ]),
    );

    const s = sinkAt(root);
    const result = await sweepFaults({
      kinds: KINDS,
      reset: () => fresh(root),
      scenario: async () => {
        await s.sink.land(plan);
      },
      check: async (fault, point, outcome) => {
        const where = describeFault(fault, point, root);
        if (outcome !== undefined) expectCoded(outcome, where);
        // Whatever is visible is a whole segment, exactly as planned; nothing else is visible.
        const visible = await segmentFiles(root);
        for (const [name, bytes] of visible)
          expect(refSegments.get(name)?.equals(bytes), `${where}: ${name}`).toBe(true);
        if (outcome === undefined) expect([...visible.keys()], where).toEqual([...refSegments.keys()].sort());
        expect(await readOutputs(root), where).toEqual(new Map());
        // The source retries: the retry succeeds and assembly yields the uninterrupted run's files.
        await s.sink.land(plan);
        expect(await segmentFiles(root), where).toEqual(new Map([...refSegments].sort()));
        const report = await s.sink.assemble();
        expect(report.failed, where).toEqual([]);
        expect(await readOutputs(root), where).toEqual(refOutputs);
      },
    });
    covered.push({ scenario: 'landing', points: result.points, runs: result.runs });
    expect(result.points).toBeGreaterThan(10);
    expect(result.fired).toBe(result.runs);
  }, 300_000);

  for (const variant of ['create', 'append'] as const) {
    it(`assembly (${variant}): a faulted pass leaves every file at its committed length; the next pass converges`, async () => {
      const root = join(base, `asm-${variant}`);
      const refRoot = join(base, `asm-${variant}-ref`);
      const half = corpus.length / 2;
      const first = corpus.slice(0, half);
      const second = corpus.slice(half);
      // Small batches so that one pass makes several write + fsync + commit rounds.
      const batchBytes = FULL ? 300 : 100;
      const prepare = async (dir: string) => {
        await fresh(dir);
        const { config, sink } = sinkAt(dir, batchBytes);
        for (const d of first) await sink.land(planOf(config, d));
        if (variant === 'append') {
          await sink.assemble();
          for (const d of second) await sink.land(planOf(config, d));
        }
      };
      await prepare(refRoot);
      const ref = sinkAt(refRoot, batchBytes);
      expect((await ref.sink.assemble()).failed).toEqual([]);
      const refOutputs = await readOutputs(refRoot);
      expect(refOutputs.size).toBe(2);

      const s = sinkAt(root, batchBytes);
      const result = await sweepFaults({
        kinds: KINDS,
        reset: () => prepare(root),
        scenario: async () => {
          const report = await s.sink.assemble();
          // A pass reports a failed file instead of throwing; rethrow so that check sees it.
          const failed = report.failed[0];
          if (failed !== undefined) throw Object.assign(new Error(failed.message), { code: failed.code });
        },
        check: async (fault, point, outcome) => {
          const where = describeFault(fault, point, root);
          if (outcome !== undefined) expectCoded(outcome, where);
          // Each output file holds exactly its committed bytes, and they are the reference's prefix.
          for (const [relPath, bytes] of await readOutputs(root)) {
            const stateDir = join(root, '.efsink/state', relPath);
            const journal = await currentJournal(
              stateDir,
              await inodeOf(join(root, relPath)),
              await listState(stateDir),
            );
            expect(journal, `${where}: ${relPath} has a journal`).toBeDefined();
            expect(bytes.length, `${where}: ${relPath} length`).toBe(journal?.committedLength);
            const refBytes = refOutputs.get(relPath) as Buffer;
            expect(bytes.equals(refBytes.subarray(0, bytes.length)), `${where}: ${relPath} prefix`).toBe(
              true,
            );
          }
          const report = await s.sink.assemble();
          expect(report.failed, where).toEqual([]);
          expect(await readOutputs(root), where).toEqual(refOutputs);
          expect((await stat(join(root, '.efsink/segments')).catch(() => undefined)) !== undefined).toBe(
            true,
          );
        },
      });
      covered.push({ scenario: `assembly-${variant}`, points: result.points, runs: result.runs });
      expect(result.points).toBeGreaterThan(20);
      expect(result.fired).toBe(result.runs);
    }, 600_000);
  }
});
