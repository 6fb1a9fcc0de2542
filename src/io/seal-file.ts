import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type AssembleOptions, assembleFile, SEGMENT_CONCURRENCY } from './assemble-file.js';
import { isRootPath, openDir, READ_NOFOLLOW, refuseIfSymlink } from './confine.js';
import { fs } from './fs-port.js';
import { DONE_DIR } from './journal.js';
import type { HeldLease } from './lease.js';
import { mapBounded } from './map-bounded.js';

/**
 * Sealing one output file (ADR 0017): judge it by its last write, then, through a pass that holds
 * its lease and appends nothing (`assembleFile` with a SealHook), remove its `done/` markers a
 * chunk at a time within the sweep's budget. The sweep that calls it is seal.ts.
 */

export interface SealBudget {
  /** Wall time one sweep may take (checked between removals of one chunk of markers). */
  readonly timeMs: number;
  /** Markers one sweep may remove. */
  readonly markers: number;
  /** Index entries one sweep may handle. */
  readonly entries: number;
}

/** Markers read from `done/` at a time (bounded memory whatever the folder holds). */
const MARKER_CHUNK = 1_024;

export type Outcome =
  | { readonly kind: 'sealed' | 'partial' | 'busy' | 'gone' | 'pending' }
  | { readonly kind: 'active'; readonly lastWriteMs: number };

/** What is left of one sweep's budget (shared by every file it seals). */
export class Budget {
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

/**
 * Seals one file if it has had no write for `sealAfterMs`: judged before taking the lease (so an
 * active file costs no epoch) and again while holding it (a pass may have appended meanwhile).
 */
export async function sealFile(
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
