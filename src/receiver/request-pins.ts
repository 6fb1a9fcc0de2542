import { randomBytes } from 'node:crypto';
import { constants, type Dir } from 'node:fs';
import { link, lstat, opendir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  assertDir,
  ensureDir,
  O_NOFOLLOW,
  READ_NOFOLLOW,
  refuseIfSymlink,
  registerRoot,
} from '../io/confine.js';
import { fsyncDir, writeTemp } from '../io/durable-file.js';
import { isGone } from '../io/errors.js';
import type { RootLayout } from '../io/layout.js';

/**
 * Pins the timestamp of a Firehose request id the first time it is seen, durably, so that every
 * retry of the request routes to the same hour and produces the same segment names.
 *
 * Why: the request id is documented as stable across retries, the request `timestamp` is not. If a
 * retry carried a later timestamp across an hour boundary, its segment would land in the next
 * hour's file, or under a different name, and the records would be written twice.
 *
 * Layout (ADR 0010):
 * - the pin: `<root>/.efsink/firehose-requests/<unitId>`, holding the timestamp. One flat folder,
 *   so a lookup is one open by name, and creating it with link(2) is exclusive on the NFS server:
 *   racing receivers agree on the first timestamp. Made durable before any segment lands.
 * - its sweep entry: a hard link to the same inode in the folder of the hour (receiver clock, UTC)
 *   the pin was made in, `<root>/.efsink/firehose-request-hours/<yyyy-MM-ddTHH>/<unitId>~<tag>`,
 *   made before the pin so that no pin exists without one. The sweep only opens hour folders older
 *   than `maxAgeMs`: its cost follows the pins that expire, not the 48 h of pins that are kept.
 * - pins of efsink versions before ADR 0010 (no sweep entry: link count 1) are still read as pins;
 *   the sweep walks the flat folder once, on its time budget, giving each young one a sweep entry
 *   and deleting the old ones, then writes `legacy-swept` and never walks it again.
 */
export interface RequestPins {
  /** The timestamp to use for `unitId`: the pinned one, or `timestampMs` pinned now. */
  pin(unitId: string, timestampMs: number): Promise<number>;
  /** Deletes pins made more than `maxAgeMs` ago, for at most the time budget. */
  sweep(nowMs: number, maxAgeMs: number): Promise<PinSweep>;
}

export interface PinSweep {
  /** Pins deleted. */
  readonly removed: number;
  /** Sweep entries and legacy pins looked at (what the sweep's cost follows). */
  readonly examined: number;
  /** Legacy pins given a sweep entry. */
  readonly migrated: number;
  /** False when the time budget ran out first; the next sweep carries on. */
  readonly complete: boolean;
}

/** 48 h: twice the longest time Firehose keeps retrying data before it gives up (24 h). */
export const DEFAULT_PIN_MAX_AGE_MS = 48 * 3_600_000;
/**
 * Wall time one sweep may take. The receiver sweeps after every assembly pass (5 s apart by
 * default), so this caps the sweep at a fifth of the loop; at 16 pins in flight and ~2 ms per NFS
 * operation (3 round trips per pin) that is ~2,500 expired pins per sweep, ~500/s, more than the
 * receiver creates.
 */
export const DEFAULT_PIN_SWEEP_BUDGET_MS = 1_000;
const SWEEP_CONCURRENCY = 16;
const HOUR_MS = 3_600_000;
const HOUR_FOLDER_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;
const LEGACY_DONE = 'legacy-swept';

export interface RequestPinsOptions {
  /** The receiver's clock: which hour folder a new pin's sweep entry goes to. */
  readonly now?: () => number;
  readonly sweepBudgetMs?: number;
  /** Clock of the time budget (a test passes a fake one). */
  readonly budgetClock?: () => number;
}

export function requestPins(layout: RootLayout, opts: RequestPinsOptions = {}): RequestPins {
  // Pins live under the root: no component may be a symlink (ADR 0014), as for segments.
  registerRoot(layout.root, layout.segments);
  const dir = join(layout.internal, 'firehose-requests');
  const hoursDir = join(layout.internal, 'firehose-request-hours');
  const now = opts.now ?? Date.now;
  const budgetMs = opts.sweepBudgetMs ?? DEFAULT_PIN_SWEEP_BUDGET_MS;
  const clock = opts.budgetClock ?? (() => performance.now());
  let legacy: { done: boolean; walk?: Dir | undefined } = { done: false };

  const read = async (path: string): Promise<number | undefined> => {
    try {
      await assertDir(dirname(path));
      const text = await readFile(path, { encoding: 'utf8', flag: READ_NOFOLLOW }).catch((err: unknown) => {
        throw refuseIfSymlink(err, path);
      });
      return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };

  /** Deletes one expired pin through its sweep entry; true when the pin itself was deleted. */
  const removeEntry = async (hourDir: string, name: string): Promise<boolean> => {
    const entry = join(hourDir, name);
    const pin = join(dir, name.slice(0, name.lastIndexOf('~')));
    const [e, p] = await Promise.all([lstat(entry).catch(gone), lstat(pin).catch(gone)]);
    // Another inode under the pin's name: this entry is of a receiver that lost the race to
    // create the pin (the winner's own entry deletes the pin), or of a pin deleted and made anew.
    const ours = e !== undefined && p !== undefined && e.ino === p.ino;
    if (ours) await unlink(pin).catch(ignoreGone);
    await unlink(entry).catch(ignoreGone); // after the pin: a crash in between leaves no orphan pin
    return ours;
  };

  return {
    async pin(unitId, timestampMs) {
      const path = join(dir, unitId);
      const existing = await read(path);
      if (existing !== undefined) return existing;
      const hourDir = join(hoursDir, hourFolder(now()));
      const tmp = await writeTemp(layout.tmp, unitId, Buffer.from(String(timestampMs)));
      try {
        // The sweep entry first, named apart from every other receiver's, then the pin itself.
        await linkCreatingDir(tmp.path, join(hourDir, `${unitId}~${randomBytes(6).toString('hex')}`));
        let created = true;
        try {
          await linkCreatingDir(tmp.path, path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          // link(2) on NFS: a retransmitted LINK whose first reply was lost fails with EEXIST
          // although ours was made; the link count tells (temp + sweep entry + pin = 3).
          created = (await stat(tmp.path)).nlink === 3;
        }
        await Promise.all([fsyncDir(hourDir), fsyncDir(dir)]);
        if (created) return timestampMs;
        // Another writer pinned it first (or a torn pin from a crash: fall back to ours).
        return (await read(path)) ?? timestampMs;
      } finally {
        await unlink(tmp.path).catch(() => {});
      }
    },

    async sweep(nowMs, maxAgeMs) {
      const deadline = clock() + budgetMs;
      const left = () => clock() < deadline;
      let removed = 0;
      let examined = 0;
      let migrated = 0;
      const hours = (await namesIn(hoursDir)).filter((n) => HOUR_FOLDER_RE.test(n)).sort();
      for (const hour of hours) {
        // Every pin in the folder was made before the hour's end: all are older than maxAgeMs.
        if (nowMs - (hourStartMs(hour) + HOUR_MS) <= maxAgeMs) break; // sorted: the rest are younger
        const hourDir = join(hoursDir, hour);
        const walk = await openWalk(hourDir);
        if (walk === undefined) continue;
        let drained = false;
        try {
          while (!drained && left()) {
            const batch: string[] = [];
            while (batch.length < SWEEP_CONCURRENCY) {
              const e = await walk.read();
              if (e === null) {
                drained = true;
                break;
              }
              if (e.name.includes('~')) batch.push(e.name);
            }
            examined += batch.length;
            const done = await Promise.all(batch.map((n) => removeEntry(hourDir, n)));
            removed += done.filter(Boolean).length;
          }
        } finally {
          await walk.close().catch(() => {});
        }
        if (!drained) return { removed, examined, migrated, complete: false };
        await rmdir(hourDir).catch(() => {}); // fails harmlessly if a late entry arrived
      }
      const old = await sweepLegacy(nowMs, maxAgeMs, left);
      removed += old.removed;
      examined += old.examined;
      migrated += old.migrated;
      return { removed, examined, migrated, complete: legacy.done };
    },
  };

  /**
   * Pins made before ADR 0010 have no sweep entry (link count 1). Walks the flat folder once, on
   * the budget (the walk carries on at the next sweep): deletes the expired ones, gives the others
   * an entry in the hour folder of their mtime; then records that the walk is done.
   */
  async function sweepLegacy(
    nowMs: number,
    maxAgeMs: number,
    left: () => boolean,
  ): Promise<{ removed: number; examined: number; migrated: number }> {
    const result = { removed: 0, examined: 0, migrated: 0 };
    if (legacy.done) return result;
    if ((await stat(join(hoursDir, LEGACY_DONE)).catch(gone)) !== undefined) {
      legacy = { done: true };
      return result;
    }
    legacy.walk ??= await openWalk(dir);
    const walk = legacy.walk;
    if (walk !== undefined) {
      let ended = false;
      while (left()) {
        const e = await walk.read();
        if (e === null) {
          ended = true;
          break;
        }
        const path = join(dir, e.name);
        const st = await lstat(path).catch(gone);
        if (st === undefined || !st.isFile() || st.nlink !== 1) continue;
        result.examined++;
        if (nowMs - st.mtimeMs > maxAgeMs) {
          await unlink(path).catch(ignoreGone);
          result.removed++;
        } else {
          const hourDir = join(hoursDir, hourFolder(st.mtimeMs));
          await linkCreatingDir(path, join(hourDir, `${e.name}~legacy`)).catch((err) => {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST' && !isGone(err)) throw err;
          });
          await fsyncDir(hourDir);
          result.migrated++;
        }
      }
      if (!ended) return result; // out of budget: the next sweep carries on from here
      await walk.close().catch(() => {});
    }
    await ensureDir(hoursDir);
    await writeFile(join(hoursDir, LEGACY_DONE), '', {
      flag: constants.O_WRONLY | constants.O_CREAT | O_NOFOLLOW,
    });
    await fsyncDir(hoursDir);
    legacy = { done: true };
    return result;
  }
}

/** `yyyy-MM-ddTHH` of a time, UTC. */
export function hourFolder(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

function hourStartMs(folder: string): number {
  return Date.parse(`${folder}:00:00Z`);
}

/** link(2) does not follow a symlink as its last component; the folder is checked (cached per process). */
async function linkCreatingDir(from: string, to: string): Promise<void> {
  try {
    await assertDir(dirname(to));
    await link(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await ensureDir(dirname(to));
    await link(from, to);
  }
}

/** opendir follows symlinks: the folder is checked first (ADR 0014); undefined when it is gone. */
async function openWalk(dir: string): Promise<Dir | undefined> {
  try {
    await assertDir(dir);
    return await opendir(dir);
  } catch (err) {
    return gone(err);
  }
}

async function namesIn(dir: string): Promise<string[]> {
  const walk = await openWalk(dir);
  if (walk === undefined) return [];
  const names: string[] = [];
  for await (const e of walk) names.push(e.name);
  return names;
}

function gone(err: unknown): undefined {
  if (isGone(err)) return undefined;
  throw err;
}

function ignoreGone(err: unknown): void {
  if (!isGone(err)) throw err;
}
