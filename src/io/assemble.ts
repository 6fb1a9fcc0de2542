import { join, relative, sep } from 'node:path';
import { codeOf } from '../core/error-catalogue.js';
import { isEfsinkError } from '../core/errors.js';
import { SEGMENT_SUFFIX } from '../core/write/plan-segments.js';
import { SegmentErrorCode } from '../core/write/segment-file.js';
import {
  type AssembleOptions,
  assembleFile,
  type FileReport,
  pruneRetired,
  SEGMENT_CONCURRENCY,
} from './assemble-file.js';
import { assertDir, registerRoot } from './confine.js';
import { pendingSegments } from './coverage.js';
import { isGone } from './errors.js';
import { fs } from './fs-port.js';
import { mapBounded } from './map-bounded.js';
import { maybeSweepIdleState, type SealBudget, type SealSweepReport } from './seal.js';

export interface AssembleReport {
  readonly files: readonly FileReport[];
  readonly failed: readonly { relPath: string; code: string; message: string }[];
  readonly sweptTempFiles: number;
  /**
   * Age (by landing time) of the oldest segment left unassembled in a file that was busy or failed;
   * 0 when none. Alarmed on in infra (a stuck file shows up here, not as an error).
   */
  readonly oldestUnassembledAgeMs: number;
  /**
   * The sealing sweep this pass ran (ADR 0017), at most one per SEAL_SWEEP_INTERVAL_MS per process;
   * undefined when it was not due. Its failures are its own: they never fail the pass.
   */
  readonly seal?: SealSweepReport;
}

/** Temp files older than this are leftovers of crashed writers (a live write takes milliseconds). */
export const TEMP_MAX_AGE_MS = 3_600_000;

export interface PassOptions {
  /**
   * Output files worked on at the same time (default 1). Files are independent (one lease, one
   * journal each), so this changes only how long the pass takes: the report lists files in the
   * same order as a serial pass.
   */
  readonly concurrency?: number;
  /** Limits of the sealing sweep (default DEFAULT_SEAL_BUDGET). */
  readonly sealBudget?: SealBudget;
}

/**
 * One assembly pass over every output file that has landed segments, up to `concurrency` files at
 * a time. A failure on one file is reported and does not stop the others.
 */
export async function assemblePass(opts: AssembleOptions, pass: PassOptions = {}): Promise<AssembleReport> {
  registerRoot(opts.layout.root, opts.layout.segments);
  // The walks below (listing, temp sweep, pruning) must not go through a symlink (ADR 0014).
  await assertDir(opts.layout.segments).catch((err: unknown) => {
    if (!isGone(err)) throw err;
  });
  const relPaths = await findOutputsWithSegments(opts.layout.segments);
  const outcomes = await mapBounded(relPaths, pass.concurrency ?? 1, async (relPath) => {
    try {
      return { relPath, file: await assembleFile(opts, relPath) };
    } catch (err) {
      if (!isEfsinkError(err) && !(err as NodeJS.ErrnoException).code) throw err;
      const code = codeOf(err);
      opts.log.error({ relPath, code, err: (err as Error).message }, 'assembly failed for one output file');
      return { relPath, error: { relPath, code, message: (err as Error).message } };
    }
  });
  const files: FileReport[] = [];
  const failed: { relPath: string; code: string; message: string }[] = [];
  for (const { relPath, file, error } of outcomes) {
    if (error !== undefined) failed.push(error);
    if (file === undefined) continue;
    files.push(file);
    for (const bad of file.invalidSegments)
      failed.push({ relPath, code: SegmentErrorCode.invalid, message: `${bad.name}: ${bad.message}` });
  }
  const stuck = [...files.filter((f) => f.status === 'busy'), ...failed].map((f) => f.relPath);
  const oldestUnassembledAgeMs = await oldestPendingAge(opts, stuck);
  const sweptTempFiles = await housekeeping(opts);
  const seal = await maybeSweepIdleState(opts, pass.sealBudget);
  return { files, failed, sweptTempFiles, oldestUnassembledAgeMs, ...(seal ? { seal } : {}) };
}

/**
 * Housekeeping runs at most this often per process and root. None of it is urgent (temp files are
 * swept after an hour, retired segments after the retention, empty folders after 10 idle minutes),
 * and run after every pass it cost more than the pass's own serial work at EFS latency: a stat of
 * every temp file landers had in flight, two walks of the segment tree (`npm run bench:latency
 * -- --profile`, bench/README.md). A CLI pass is one process, so it always runs there.
 */
export const HOUSEKEEPING_INTERVAL_MS = 60_000;
const lastHousekeeping = new Map<string, number>();

/** Temp sweep, retired and empty-folder pruning, concurrently; the number of temp files swept. */
async function housekeeping(opts: AssembleOptions): Promise<number> {
  const now = opts.now();
  const last = lastHousekeeping.get(opts.layout.root);
  const interval = opts.housekeepingIntervalMs ?? HOUSEKEEPING_INTERVAL_MS;
  if (last !== undefined && now >= last && now - last < interval) return 0;
  lastHousekeeping.set(opts.layout.root, now);
  // Settled, not Promise.all: a failed part must not leave the others running behind the pass.
  const [swept, ...rest] = await Promise.allSettled([
    sweepTemp(opts.layout.tmp, now),
    pruneRetired(opts.layout, now, opts.segmentRetentionMs),
    pruneEmptyDirs(opts.layout.segments, now),
  ]);
  for (const r of [swept, ...rest]) if (r.status === 'rejected') throw r.reason;
  return swept.status === 'fulfilled' ? swept.value : 0;
}

async function oldestPendingAge(opts: AssembleOptions, relPaths: readonly string[]): Promise<number> {
  let oldest = 0;
  for (const relPath of relPaths) {
    // Best effort: the file that failed may fail here too (it is already reported).
    const names = await pendingSegments(opts.layout, relPath).catch(() => []);
    for (const name of names) {
      const st = await fs.stat(join(opts.layout.segments, relPath, name)).catch(() => undefined);
      // Landing time: the newer of mtime and ctime, as in sweepTemp below (an NFSv4.1 exclusive create
      // may leave a create verifier in mtime, which read alone would make a fresh segment look old
      // and raise a false segment-age alarm); the rename that lands a segment sets its ctime.
      if (st !== undefined) oldest = Math.max(oldest, opts.now() - Math.max(st.mtimeMs, st.ctimeMs));
    }
  }
  return oldest;
}

const WALK_CONCURRENCY = 8;

/** Relative output paths: the directories under segments/ that directly hold `*.seg` files. */
export async function findOutputsWithSegments(segmentsRoot: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isGone(err)) return;
      throw err;
    }
    if (entries.some((e) => e.isFile() && e.name.endsWith(SEGMENT_SUFFIX))) {
      out.push(relative(segmentsRoot, dir).split(sep).join('/'));
    }
    // Sibling folders at once: each listing is a round trip (the result is sorted below). Up to 8
    // per level, nested; the process's thread pool (64) bounds the total in flight.
    const subdirs = entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
    await mapBounded(subdirs, WALK_CONCURRENCY, walk);
  }
  await walk(segmentsRoot);
  return out.sort();
}

/**
 * Removes temp files older than TEMP_MAX_AGE_MS (left by crashed writers). Age is taken from the
 * newer of mtime and ctime: an NFSv4.1 exclusive create (`'wx'`, EXCLUSIVE4_1) may keep its create
 * verifier in the file's atime/mtime until the client sets them (nfs-ganesha does), so a file another
 * client created a moment ago can show an mtime decades old; its ctime is the server's own clock.
 * Judged by mtime alone, a sweep removed another client's fresh temp file before its rename (test:nfs
 * scenario b, FINDINGS.md F5: FS_ENOENT on the rename of a journal head).
 */
async function sweepTemp(tmpDir: string, now: number): Promise<number> {
  let names: string[];
  try {
    await assertDir(tmpDir);
    names = await fs.readdir(tmpDir);
  } catch {
    return 0;
  }
  let swept = 0;
  // One stat per temp file, many at once: at 300 landings/s many are in flight at any moment.
  await mapBounded(names, SEGMENT_CONCURRENCY, async (name) => {
    const path = join(tmpDir, name);
    try {
      const st = await fs.stat(path);
      if (now - Math.max(st.mtimeMs, st.ctimeMs) > TEMP_MAX_AGE_MS) {
        await fs.unlink(path);
        swept++;
      }
    } catch {}
  });
  return swept;
}

/** Removes empty segment directories bottom-up (rmdir fails harmlessly on a non-empty one). */
/**
 * An emptied segment folder is removed only once nothing has changed in it for this long. State v2
 * empties a file's pending folder on every pass (ADR 0013) while landers keep creating segments in
 * it (the current hour's); removing it under them made landing fail with ENOENT and retry, even
 * after five attempts when passes ran back to back (`npm run bench:latency`, 1,000 landings/s).
 */
export const SEGMENT_DIR_IDLE_MS = 10 * 60_000;

/**
 * Removes the segment folders that are empty: a folder that held no entry when listed once it has
 * been idle for SEGMENT_DIR_IDLE_MS (by the newer of mtime and ctime, FINDINGS F5), and a folder
 * whose entries were all folders removed here. True when `dir` was removed.
 */
async function pruneEmptyDirs(dir: string, now: number, isRoot = true): Promise<boolean> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let left = 0;
  for (const e of entries) {
    if (e.isDirectory() && (await pruneEmptyDirs(join(dir, e.name), now, false))) continue;
    left++;
  }
  if (isRoot || left > 0) return false;
  if (entries.length === 0) {
    const st = await fs.stat(dir).catch(() => undefined);
    if (st === undefined || now - Math.max(st.mtimeMs, st.ctimeMs) < SEGMENT_DIR_IDLE_MS) return false;
  }
  return fs.rmdir(dir).then(
    () => true,
    () => false,
  );
}
