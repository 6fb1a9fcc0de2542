import { dirname, join } from 'node:path';
import type { SegmentPlan, UnitPlan } from '../core/write/plan-segments.js';
import { encodeSegmentHeader } from '../core/write/segment-file.js';
import { openDirCreating, registerRoot, stillAt, symlinkRefused } from './confine.js';
import { isSegmentAssembled } from './coverage.js';
import { fsyncDir, renameCreatingDir, writeTemp } from './durable-file.js';
import { isGone } from './errors.js';
import { fs, nameErrno } from './fs-port.js';
import type { RootLayout } from './layout.js';

export interface LandResult {
  /** Segments written by this call. */
  readonly landed: number;
  /** Segments that were already there, pending or assembled (a redelivered unit). */
  readonly alreadyPresent: number;
  readonly bytes: number;
}

/**
 * Lands a unit's segments durably: for each, temp → write (header and body) → fsync → rename to its
 * deterministic name → fsync the directory. No locks: two writers landing the same unit produce
 * the same name and bytes, and rename makes the race harmless. When this resolves, every segment
 * is durable, so the caller may acknowledge the delivery. The segment's description (ADR 0004)
 * travels in its header (ADR 0007), so it is durable exactly when the segment is.
 */
export async function landUnit(layout: RootLayout, plan: UnitPlan): Promise<LandResult> {
  try {
    return await landSegments(layout, plan);
  } catch (err) {
    // Adapters turn a file-system error into `FS_<errno>` (the source then retries); name the
    // errnos Node 20 cannot (EDQUOT, ESTALE), including those from file-handle calls.
    throw nameErrno(err);
  }
}

async function landSegments(layout: RootLayout, plan: UnitPlan): Promise<LandResult> {
  registerRoot(layout.root, layout.segments);
  let landed = 0;
  let alreadyPresent = 0;
  let bytes = 0;
  for (const seg of plan.segments) {
    if (await landSegment(layout, seg)) {
      landed++;
      bytes += seg.bytes.length;
    } else alreadyPresent++;
  }
  return { landed, alreadyPresent, bytes };
}

/**
 * Lands one segment; false when it was already there. The segment's directory is opened first
 * (O_DIRECTORY|O_NOFOLLOW, its resolved path checked: no symlink in any component, ADR 0014) and the
 * same descriptor is fsynced after the rename, so the check costs no extra NFS call.
 */
async function landSegment(layout: RootLayout, seg: SegmentPlan): Promise<boolean> {
  const target = join(layout.segments, seg.relPath, seg.name);
  const dir = dirname(target);
  const dirFh = await openDirCreating(dir);
  try {
    if (await exists(target)) {
      // A redelivery: the segment is there, but the rename that made it may not be durable yet (its
      // writer may have crashed, or failed, between rename and the directory fsync; on a local disk
      // the entry can still be lost). fsync(2): "Calling fsync() does not necessarily ensure that the
      // entry in the directory containing the file has also reached disk" — so fsync the directory
      // before acknowledging (issue 11 item 7).
      await dirFh.sync();
      return false;
    }
    // Assembled already (ADR 0013: assembled segments leave the pending folder at once): its bytes
    // are committed and durable in the output file, so the redelivery is acknowledged as it is.
    if (await isSegmentAssembled(layout, seg.relPath, seg.name)) return false;
    const header = encodeSegmentHeader(seg.bytes.length, seg.meta);
    const tmp = await writeTemp(layout.tmp, seg.name, [header, seg.bytes]);
    try {
      await fs.rename(tmp.path, target);
    } catch (err) {
      if (!isGone(err)) {
        await fs.unlink(tmp.path).catch(() => {});
        throw err;
      }
      // The directory was pruned by an assembler since it was opened: create it again.
      await renameCreatingDir(tmp.path, target);
      await fsyncDir(dir);
      return true;
    }
    // Pruned and re-created between open and rename: the descriptor is the old directory.
    if (await stillAt(dirFh, dir)) await dirFh.sync();
    else await fsyncDir(dir);
    return true;
  } finally {
    await dirFh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    // lstat: a symlink planted where a segment belongs is refused, not followed.
    if ((await fs.lstat(path)).isSymbolicLink()) throw symlinkRefused(path, 'a symlink');
    return true;
  } catch (err) {
    if (isGone(err)) return false;
    throw err;
  }
}
