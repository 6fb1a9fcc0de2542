import { join, resolve } from 'node:path';
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
import type { AssembleOptions } from './assemble-file.js';
import { openDir, READ_NOFOLLOW, refuseIfSymlink, registerRoot } from './confine.js';
import { isGone } from './errors.js';
import { fs } from './fs-port.js';
import { Budget, type SealBudget, sealFile } from './seal-file.js';

export type { SealBudget } from './seal-file.js';

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
 * DEFAULT_SEAL_BUDGET.timeMs up to SEAL_MAX_TIME_MS. At 2.5 ms per call, 8 in flight, a sweep
 * removed about 3,100 markers/s (measured with an injected delay; 55,000/s on a local disk), so 10%
 * keeps up with about 310 assembled segments/s whether passes come every 5 s (receiver) or every
 * minute (the scheduled Lambda): ADR 0017. Since ADR 0018, 32 are in flight: that rate is a floor.
 */
export const SEAL_DUTY_SHARE = 0.1;
export const SEAL_MAX_TIME_MS = 10_000;

export const DEFAULT_SEAL_BUDGET: SealBudget = { timeMs: 2_000, markers: 200_000, entries: 10_000 };

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
