import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { assertDir, ensureDir, openDir } from './confine.js';
import { isGone } from './errors.js';
import { type FileHandle, fs } from './fs-port.js';

/**
 * The few durable-write primitives everything else is built from. All temp files live in one
 * directory on the same file system as their targets, so that `rename` is atomic (rename(2); on
 * NFSv4.1 RENAME is a single server operation) and crashed writers leave nothing visible.
 */

/** Writes all of `bytes` at `position`, looping over short writes (write(2) may write less). */
export async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.length - off, position + off);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    off += bytesWritten;
  }
}

/** fsync a directory so that a rename or create in it survives a crash (fsync(2), "directory"). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await openDir(dir); // refuses a symlink under the root (ADR 0014)
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function tempName(tmpDir: string, hint: string): string {
  return join(tmpDir, `${basename(hint).slice(0, 100)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Creates a temp file holding exactly `bytes` (or the chunks one after another), fsynced; returns its path and inode number. */
export async function writeTemp(
  tmpDir: string,
  hint: string,
  bytes: Uint8Array | readonly Uint8Array[],
): Promise<{ path: string; ino: number }> {
  const path = tempName(tmpDir, hint);
  const fh = await openCreating(path, 'wx', tmpDir);
  try {
    let position = 0;
    for (const chunk of bytes instanceof Uint8Array ? [bytes] : bytes) {
      await writeAll(fh, chunk, position);
      position += chunk.length;
    }
    await fh.sync();
    const { ino } = await fh.stat();
    return { path, ino };
  } catch (err) {
    await fs.unlink(path).catch(() => {});
    throw err;
  } finally {
    await fh.close();
  }
}

/** Opens `path`, creating its directory first when it does not exist yet. */
export async function openCreating(
  path: string,
  flags: string | number,
  dir = dirname(path),
): Promise<FileHandle> {
  try {
    await assertDir(dir);
    return await fs.open(path, flags, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await ensureDir(dir);
    return await fs.open(path, flags, 0o644);
  }
}

/**
 * Publishes `bytes` at `target` atomically: temp → write → fsync → rename → fsync(dir).
 * A reader sees either the old file or the complete new one, never a prefix.
 */
export async function publishFile(tmpDir: string, target: string, bytes: Uint8Array): Promise<void> {
  const tmp = await writeTemp(tmpDir, basename(target), bytes);
  await renameCreatingDir(tmp.path, target);
  await fsyncDir(dirname(target));
}

/**
 * rename(2), creating the target directory if needed. Another process may remove an empty
 * directory between our mkdir and rename (the assembler prunes empty segment directories), so
 * ENOENT is retried a few times.
 */
export async function renameCreatingDir(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await assertDir(dirname(to)); // rename follows symlinks in the directory components
      await fs.rename(from, to);
      return;
    } catch (err) {
      if (!isGone(err) || attempt >= 3) {
        await fs.unlink(from).catch(() => {});
        throw err;
      }
      await ensureDir(dirname(to));
    }
  }
}

/**
 * Creates `target` with `bytes` only if it does not exist (link(2) fails with EEXIST, atomically on
 * the server — the classic NFS-safe exclusive create). Returns false when it already existed.
 */
export async function createExclusive(tmpDir: string, target: string, bytes: Uint8Array): Promise<boolean> {
  const tmp = await writeTemp(tmpDir, basename(target), bytes);
  try {
    await assertDir(dirname(target));
    await fs.link(tmp.path, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // link(2) on NFS: a retransmitted LINK whose first reply was lost fails with EEXIST although
    // our link was made; the temp file's link count tells (the classic NFS lock-file check).
    return (await fs.stat(tmp.path)).nlink === 2;
  } finally {
    await fs.unlink(tmp.path).catch(() => {});
  }
}
