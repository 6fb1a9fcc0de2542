import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { codeOf } from '../core/error-catalogue.js';
import {
  DAY_BUCKET_RE,
  dayBucket,
  dayEndMs,
  ENTRY_NAME_RE,
  entryName,
  forgetActivity,
  isOutputRelPath,
  publishEntry,
} from './activity-index.js';
import { type AssembleOptions, assembleFile, SEGMENT_CONCURRENCY } from './assemble-file.js';
import { isRootPath, openDir, READ_NOFOLLOW, refuseIfSymlink, registerRoot } from './confine.js';
import { isGone } from './errors.js';
import { fs } from './fs-port.js';
import { DONE_DIR } from './journal.js';
import type { HeldLease } from './lease.js';
import { mapBounded } from './map-bounded.js';

/**
 * Sealing idle assembly state (ADR 0017, amending ADR 0013): once an output file has had no write
 * for longer than the seal age (default 15 days: past every source's redelivery window), its
 * `done/` markers — one inode per assembled segment — are removed. Batch records stay (backfill's
 * coverage, ADR 0004, reads them); heads and claims are pruned by every pass anyway.
 *
 * Idle files are found through the activity index (activity-index.ts), one bucket per UTC day:
 * a sweep lists `.efsink/gc/` (one entry per day) and opens only the buckets whose day ended more
 * than the seal age ago. Each entry it handles is removed (or, for a file written since, moved to
 * the bucket of that write's day), so a sweep's cost follows the work it does, not the history.
 *
 * The markers are removed by a pass that holds the file's lease (assembleFile with a SealHook), so
 * a seal can never race a late pass, and that pass leaves a released head bound to the same inode,
 * so the next pass reuses the file instead of copying it (ADR 0013 §2).
 */

/** Past every source's redelivery window (SQS DLQ redrive: 14 days) by a day. */
export const DEFAULT_SEAL_AFTER_MS = 15 * 86_400_000;
/** A process sweeps at most this often (per root) when its last sweep finished its work. */
export const SEAL_SWEEP_INTERVAL_MS = 10 * 60_000;
/** How soon a process sweeps again when its last sweep stopped on its budget (a backlog). */
export const SEAL_BACKLOG_INTERVAL_MS = 15_000;
/**
 * A sweep may take this share of the time since the previous one started, from
 * DEFAULT_SEAL_BUDGET.timeMs up to SEAL_MAX_TIME_MS. At 2.5 ms per call, 8 in flight, a sweep removes
 * about 3,100 markers/s (measured with an injected delay; 55,000/s on a local disk), so 10% keeps up
 * with about 310 assembled segments/s whether passes come every 5 s (receiver) or every minute
 * (the scheduled Lambda): ADR 0017.
 */
export const SEAL_DUTY_SHARE = 0.1;
export const SEAL_MAX_TIME_MS = 10_000;

export interface SealBudget {
  /** Wall time one sweep may take (checked between removals of one chunk of markers). */
  readonly timeMs: number;
  /** Markers one sweep may remove. */
  readonly markers: number;
  /** Index entries one sweep may handle. */
  readonly entries: number;
}

export const DEFAULT_SEAL_BUDGET: SealBudget = { timeMs: 2_000, markers: 200_000, entries: 10_000 };

/** Markers read from `done/` at a time (bounded memory whatever the folder holds). */
const MARKER_CHUNK = 1_024;

export interface SealSweepReport {
  /** Files whose `done/` folder is gone. */
  readonly sealedFiles: number;
  readonly removedMarkers: number;
  /** Index entries removed (sealed, written since and moved to a later bucket, or gone). */
  readonly entriesDone: number;
  /** Files found written since their entry was made (moved to the bucket of that day). */
  readonly activeFiles: number;
  /** True when the sweep stopped on its budget with work left (the next one comes sooner). */
  readonly exhausted: boolean;
  readonly failures: readonly { readonly relPath: string; readonly code: string; readonly message: string }[];
}

type Outcome =
  | { readonly kind: 'sealed' | 'partial' | 'busy' | 'gone' | 'pending' }
  | { readonly kind: 'active'; readonly lastWriteMs: number };

class Budget {
  private readonly deadline: number;
  markersLeft: number;
  entriesLeft: number;
  constructor(b: SealBudget) {
    this.deadline = performance.now() + b.timeMs;
    this.markersLeft = b.markers;
    this.entriesLeft = b.entries;
  }
  get spent(): boolean {
    return this.markersLeft <= 0 || this.entriesLeft <= 0 || performance.now() >= this.deadline;
  }
}

/** Per root: when this process last swept, and whether that sweep left work. */
const lastSweep = new Map<string, { atMs: number; exhausted: boolean }>();

/**
 * Runs a sweep if this process has not swept `opts.layout.root` within SEAL_SWEEP_INTERVAL_MS
 * (SEAL_BACKLOG_INTERVAL_MS after a sweep that stopped on its budget). Never throws: a failure is
 * logged with its code and counted in the report, and never fails the assembly pass.
 */
export async function maybeSweepIdleState(
  opts: AssembleOptions,
  fixedBudget?: SealBudget,
): Promise<SealSweepReport | undefined> {
  const key = resolve(opts.layout.root);
  const previous = lastSweep.get(key);
  const now = opts.now();
  const gap = previous?.exhausted ? SEAL_BACKLOG_INTERVAL_MS : SEAL_SWEEP_INTERVAL_MS;
  if (previous !== undefined && now - previous.atMs < gap && now >= previous.atMs) return undefined;
  const budget = fixedBudget ?? {
    ...DEFAULT_SEAL_BUDGET,
    timeMs:
      previous === undefined
        ? DEFAULT_SEAL_BUDGET.timeMs
        : Math.min(
            SEAL_MAX_TIME_MS,
            Math.max(DEFAULT_SEAL_BUDGET.timeMs, SEAL_DUTY_SHARE * (now - previous.atMs)),
          ),
  };
  // Taken before the sweep starts, so that concurrent passes of one process do not sweep together.
  lastSweep.set(key, { atMs: now, exhausted: false });
  try {
    const report = await sweepIdleState(opts, budget);
    lastSweep.set(key, { atMs: now, exhausted: report.exhausted });
    return report;
  } catch (err) {
    const code = codeOf(err);
    opts.log.error({ code, err: (err as Error).message }, 'sealing sweep failed');
    return { ...EMPTY, failures: [{ relPath: '', code, message: (err as Error).message }] };
  }
}

/** Forgets the sweep times and registrations of this process (tests). */
export function forgetSealSchedule(): void {
  lastSweep.clear();
  forgetActivity();
}

const EMPTY: SealSweepReport = {
  sealedFiles: 0,
  removedMarkers: 0,
  entriesDone: 0,
  activeFiles: 0,
  exhausted: false,
  failures: [],
};

/**
 * One sweep: the buckets of days that ended more than the seal age ago, oldest first; for each
 * entry, seal the file if it is idle, then remove the entry. Stops when the budget is spent. A
 * failure on one entry is logged, counted and leaves the entry for the next sweep.
 */
export async function sweepIdleState(
  opts: AssembleOptions,
  sealBudget: SealBudget = DEFAULT_SEAL_BUDGET,
): Promise<SealSweepReport> {
  const { layout, log } = opts;
  registerRoot(layout.root, layout.segments);
  const sealAfterMs = opts.sealAfterMs ?? DEFAULT_SEAL_AFTER_MS;
  const budget = new Budget(sealBudget);
  const report = {
    sealedFiles: 0,
    removedMarkers: 0,
    entriesDone: 0,
    activeFiles: 0,
    exhausted: false,
    failures: [] as { relPath: string; code: string; message: string }[],
  };
  let days: string[];
  try {
    await (await openDir(layout.gc)).close(); // readdir follows symlinks (ADR 0014)
    days = await fs.readdir(layout.gc);
  } catch (err) {
    if (isGone(err)) return report;
    throw err;
  }
  const due = days.filter((d) => DAY_BUCKET_RE.test(d) && dayEndMs(d) + sealAfterMs <= opts.now()).sort();
  for (const day of due) {
    const bucket = join(layout.gc, day);
    let names: string[];
    try {
      await (await openDir(bucket)).close();
      names = (await fs.readdir(bucket)).filter((n) => ENTRY_NAME_RE.test(n)).sort();
    } catch (err) {
      if (isGone(err)) continue; // another sweeper emptied and removed it
      // A planted symlink (or a failing folder) stops this bucket only, not the ones after it.
      const code = codeOf(err);
      log.error({ bucket, code, err: (err as Error).message }, 'sealing sweep could not read a bucket');
      report.failures.push({ relPath: '', code, message: (err as Error).message });
      continue;
    }
    let left = 0;
    for (const name of names) {
      if (budget.spent) {
        report.exhausted = true;
        return report;
      }
      budget.entriesLeft--;
      const entry = join(bucket, name);
      let relPath = '';
      try {
        relPath = await readEntry(entry);
        if (!isOutputRelPath(relPath) || entryName(relPath) !== name) {
          log.warn({ entry, relPath }, 'activity index entry does not name an output file: removed');
          await unlinkEntry(entry);
          continue;
        }
        const outcome = await sealFile(opts, relPath, sealAfterMs, budget, report);
        if (outcome.kind === 'busy') {
          left++;
          continue;
        }
        if (outcome.kind === 'partial') {
          report.exhausted = true;
          return report;
        }
        if (outcome.kind === 'active') {
          // Written since: judged again once the day of that write is past the seal age.
          await publishEntry(layout, dayBucket(Math.min(outcome.lastWriteMs, opts.now())), relPath);
          report.activeFiles++;
        }
        if (outcome.kind === 'sealed') report.sealedFiles++;
        await unlinkEntry(entry);
        report.entriesDone++;
        await opts.onStep?.('seal-entry-removed');
      } catch (err) {
        if (isGone(err) && relPath === '') continue; // entry handled by another sweeper
        left++;
        const code = codeOf(err);
        log.error(
          { relPath, entry, code, err: (err as Error).message },
          'sealing failed for one output file',
        );
        report.failures.push({ relPath, code, message: (err as Error).message });
      }
    }
    if (left === 0) await fs.rmdir(bucket).catch(() => {}); // ENOTEMPTY: another sweeper's entry
  }
  return report;
}

async function readEntry(path: string): Promise<string> {
  try {
    return (await fs.readFile(path, { flag: READ_NOFOLLOW })).toString('utf8');
  } catch (err) {
    throw refuseIfSymlink(err, path);
  }
}

async function unlinkEntry(path: string): Promise<void> {
  await fs.unlink(path).catch((err: unknown) => {
    if (!isGone(err)) throw err;
  });
}

/**
 * Seals one file if it has had no write for `sealAfterMs`: judged before taking the lease (so an
 * active file costs no epoch) and again while holding it (a pass may have appended meanwhile).
 */
async function sealFile(
  opts: AssembleOptions,
  relPath: string,
  sealAfterMs: number,
  budget: Budget,
  report: { removedMarkers: number },
): Promise<Outcome> {
  const outPath = join(opts.layout.root, relPath);
  const stateDir = join(opts.layout.state, relPath);
  const before = await lastWriteMs(outPath);
  if (before === undefined) return { kind: 'gone' };
  if (opts.now() - before < sealAfterMs) return { kind: 'active', lastWriteMs: before };
  // No head: nothing of efsink's to seal (the state was removed by hand).
  if (!(await hasHead(stateDir))) return { kind: 'gone' };
  let outcome: Outcome = { kind: 'busy' };
  const file = await assembleFile(opts, relPath, async ({ lease }) => {
    const last = await lastWriteMs(outPath);
    if (last === undefined || opts.now() - last < sealAfterMs) {
      outcome = last === undefined ? { kind: 'gone' } : { kind: 'active', lastWriteMs: last };
      return;
    }
    await opts.onStep?.('seal-judged');
    const done = await removeMarkers(opts, stateDir, lease, budget, report);
    outcome = { kind: done ? 'sealed' : 'partial' };
  });
  // Segments landed since the sweep listed: a normal pass appends them and registers the file.
  if (file.status === 'idle') return { kind: 'pending' };
  return file.status === 'busy' ? { kind: 'busy' } : outcome;
}

/**
 * Removes `done/` a chunk of markers at a time (bounded memory, bounded concurrency), then the
 * folder itself. False when the budget ran out first: the entry stays, the next sweep goes on.
 */
async function removeMarkers(
  opts: AssembleOptions,
  stateDir: string,
  lease: HeldLease,
  budget: Budget,
  report: { removedMarkers: number },
): Promise<boolean> {
  const doneDir = join(stateDir, DONE_DIR);
  for (;;) {
    if (budget.spent) return false;
    await lease.check(); // renews a lease half used; stops a holder that lost it
    let names: string[];
    try {
      await (await openDir(doneDir)).close(); // unlink follows symlinks in the folder (ADR 0014)
      names = await readNames(doneDir, Math.min(MARKER_CHUNK, budget.markersLeft));
    } catch (err) {
      if (isNoEnt(err)) return true;
      throw err;
    }
    if (names.length === 0) {
      await fs.rmdir(doneDir).catch((err: unknown) => {
        if (!isNoEnt(err)) throw err;
      });
      await opts.onStep?.('seal-done-removed');
      return true;
    }
    await mapBounded(names, SEGMENT_CONCURRENCY, async (name) => {
      await fs.unlink(join(doneDir, name)).catch((err: unknown) => {
        if (!isNoEnt(err)) throw err;
      });
    });
    budget.markersLeft -= names.length;
    report.removedMarkers += names.length;
    await opts.onStep?.('seal-markers-removed');
  }
}

/** Up to `max` names from a folder, without reading the whole folder into memory. */
async function readNames(dir: string, max: number): Promise<string[]> {
  const handle = await fs.opendir(dir, { bufferSize: Math.max(1, Math.min(max, 32)) });
  const names: string[] = [];
  try {
    while (names.length < max) {
      const e = await handle.read();
      if (e === null) break;
      names.push(e.name);
    }
  } finally {
    await handle.close();
  }
  return names;
}

/**
 * When the output file was last written: the newer of its mtime and ctime (ctime is the server's
 * own clock; an NFSv4.1 exclusive create can leave a verifier in mtime, FINDINGS F5), read through
 * an open handle after opening its folder (ADR 0006). Only appends and takeover copies write it; a
 * sealing pass does not, so a partly sealed file still looks idle to the next sweep. Undefined
 * when it does not exist.
 */
export async function lastWriteMs(outPath: string): Promise<number | undefined> {
  try {
    const dir = dirname(outPath);
    await (isRootPath(dir) ? await fs.open(dir, 'r') : await openDir(dir)).close();
    const fh = await fs.open(outPath, READ_NOFOLLOW).catch((err: unknown) => {
      throw refuseIfSymlink(err, outPath);
    });
    try {
      const st = await fh.stat();
      return Math.max(st.mtimeMs, st.ctimeMs);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (isNoEnt(err)) return undefined;
    throw err;
  }
}

/**
 * Only ENOENT means gone here. ESTALE (which `isGone` also accepts, for listings efsink prunes) is a
 * transient NFS answer: taken for "gone", it would drop a file's index entry or count a seal as
 * done with markers left, and the file would never be sealed (found by src/io/seal-faults.test.ts).
 */
function isNoEnt(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Whether the file has a head: its state folder holds a `journal-*.json` (ENOENT: no state). */
async function hasHead(stateDir: string): Promise<boolean> {
  try {
    await (await openDir(stateDir)).close(); // readdir follows symlinks (ADR 0014)
    return (await fs.readdir(stateDir)).some((n) => JOURNAL_NAME_RE.test(n));
  } catch (err) {
    if (isNoEnt(err)) return false;
    throw err;
  }
}

const JOURNAL_NAME_RE = /^journal-\d+\.json$/;
