import { constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { EfsinkError } from '../core/errors.js';
import { type FileHandle, fs } from './fs-port.js';

/**
 * Confinement (docs/adr/0014-names-and-confinement.md): no path component under an efsink root may
 * resolve outside it. Path templates cannot name anything outside the root (renderPath), but a
 * symlink planted under it (`<root>/lg -> /elsewhere`) would be followed by mkdir, open and rename in
 * every component. So:
 * - files are opened with O_NOFOLLOW (a symlink as the last component fails with ELOOP);
 * - a directory is opened with O_DIRECTORY|O_NOFOLLOW and the path the kernel resolved for that
 *   descriptor (`/proc/self/fd/N`, a local call, no NFS round trip) must be the path asked for:
 *   a symlink in any component makes them differ;
 * - directories are created one component at a time, each checked with lstat before it is used, so
 *   a mkdir never goes through a symlink.
 *
 * Cost (per process): a directory verified once is trusted afterwards, except under
 * `.efsink/segments/`, whose directories assemblers remove when empty and landers re-create: those
 * are verified on every use, through the descriptor landing opens anyway to fsync the directory.
 */
export const ConfineErrorCode = { symlinkRefused: 'FS_SYMLINK_REFUSED' } as const;

export const O_NOFOLLOW = constants.O_NOFOLLOW;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Flags for reading a file whose last component must not be a symlink. */
export const READ_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;
/** Flags for updating a file in place (`r+`) whose last component must not be a symlink. */
export const UPDATE_NOFOLLOW = constants.O_RDWR | constants.O_NOFOLLOW;
/** Flags for creating or truncating a file (`w+`) whose last component must not be a symlink. */
export const WRITE_CREATE_NOFOLLOW =
  constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

interface Root {
  readonly root: string;
  readonly volatile: string;
  real: Promise<string> | undefined;
}

const roots: Root[] = [];
const verified = new Set<string>();

/**
 * Declares `root` an efsink root: directories under it are checked. Directories under `volatile`
 * (the segment tree) are checked on every use, others once per process.
 */
export function registerRoot(root: string, volatile: string): void {
  const abs = resolve(root);
  if (!roots.some((r) => r.root === abs))
    roots.push({ root: abs, volatile: resolve(volatile), real: undefined });
}

/** True when `path` is an efsink root itself (the operator's mount point: its path may hold symlinks). */
export function isRootPath(path: string): boolean {
  const abs = resolve(path);
  return roots.some((r) => r.root === abs);
}

function rootOf(abs: string): Root | undefined {
  return roots.find((r) => abs === r.root || abs.startsWith(r.root + sep));
}

function isVolatile(r: Root, dir: string): boolean {
  return dir === r.volatile || dir.startsWith(r.volatile + sep);
}

async function realRoot(r: Root): Promise<string> {
  // Cached once resolved; a failed realpath (ESTALE, EIO: found by the fault sweep) is not cached,
  // or one transient error would refuse every later call of the process.
  r.real ??= fs.realpath(r.root);
  const real = r.real;
  try {
    return await real;
  } catch (err) {
    if (r.real === real) r.real = undefined;
    throw err;
  }
}

export function symlinkRefused(path: string, resolved: string): EfsinkError {
  return new EfsinkError(
    ConfineErrorCode.symlinkRefused,
    `${path} resolves to ${resolved}: a symlink under the efsink root; efsink never follows one (remove it)`,
  );
}

/** ELOOP from an O_NOFOLLOW open: the last component is a symlink. */
export function refuseIfSymlink(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ELOOP' ? symlinkRefused(path, 'a symlink') : err;
}

function goneError(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: directory removed while opening, '${path}'`), {
    code: 'ENOENT',
    errno: -osConstants.errno.ENOENT,
    syscall: 'open',
    path,
  });
}

/** Checks that the open directory `fh` is `dir` itself, reached through no symlink. */
async function checkDescriptor(fh: FileHandle, dir: string, r: Root): Promise<void> {
  const expected = join(await realRoot(r), relative(r.root, dir));
  let resolved: string;
  try {
    resolved = await fs.readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    resolved = await fs.realpath(dir); // no /proc (not Linux): one realpath instead
  }
  if (resolved === expected) return;
  // Removed by another process (an assembler pruning an empty segment directory) after our open.
  if (resolved === `${expected} (deleted)`) throw goneError(dir);
  throw symlinkRefused(dir, resolved);
}

/**
 * Opens directory `dir` for fsync, refusing a symlink in any component under an efsink root
 * (FS_SYMLINK_REFUSED). Outside any root it is a plain open.
 */
export async function openDir(path: string): Promise<FileHandle> {
  const dir = resolve(path);
  const r = rootOf(dir);
  if (r === undefined) return fs.open(dir, 'r');
  let fh: FileHandle;
  try {
    fh = await fs.open(dir, DIR_FLAGS);
  } catch (err) {
    // O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR (Linux) or ELOOP: tell which it was.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTDIR' && code !== 'ELOOP') throw err;
    const st = await fs.lstat(dir).catch(() => undefined);
    if (st?.isSymbolicLink()) throw symlinkRefused(dir, await fs.readlink(dir).catch(() => 'a symlink'));
    throw err;
  }
  try {
    await checkDescriptor(fh, dir, r);
    if (!isVolatile(r, dir)) verified.add(dir);
    return fh;
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}

/**
 * True when the open directory `fh` (from openDir) is still the directory at `path`: false when it
 * was removed meanwhile (an assembler prunes empty segment directories; a lander may re-create one).
 * A local call (`/proc/self/fd/N`); true where that cannot be told.
 */
export async function stillAt(fh: FileHandle, path: string): Promise<boolean> {
  const dir = resolve(path);
  const r = rootOf(dir);
  if (r === undefined) return true;
  const expected = join(await realRoot(r), relative(r.root, dir));
  const resolved = await fs.readlink(`/proc/self/fd/${fh.fd}`).catch(() => expected);
  return resolved === expected;
}

/** Attempts of openDirCreating before a vanishing directory is reported (as renameCreatingDir). */
const CREATE_ATTEMPTS = 5;

/**
 * openDir, creating the directory (see ensureDir) when it does not exist. An assembler removes a
 * segment folder it has emptied while landers create it again (state v2 empties it on every pass),
 * so the folder can vanish between our mkdir and our open: that is retried, not reported (found by
 * `npm run bench:latency`, 300 landings/s while passes ran: FS_ENOENT on landing).
 */
export async function openDirCreating(dir: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= CREATE_ATTEMPTS) throw err;
    }
    await ensureDir(dir).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= CREATE_ATTEMPTS) throw err;
    });
  }
}

/**
 * Resolves when `dir` exists and no component of it under an efsink root is a symlink; creates the
 * missing components one at a time (each checked with lstat first, so mkdir never follows a
 * symlink). One lstat when `dir` was verified before and still exists. Outside any root it is
 * `mkdir -p`.
 */
export async function ensureDir(target: string): Promise<void> {
  const dir = resolve(target);
  const r = rootOf(dir);
  if (r === undefined) {
    await fs.mkdir(dir, { recursive: true });
    return;
  }
  if (verified.has(dir)) {
    // Verified before; it may have been removed since (an operator deleting a state folder).
    const st = await fs.lstat(dir).catch(() => undefined);
    if (st?.isDirectory()) return;
    for (const d of verified) if (d === dir || d.startsWith(dir + sep)) verified.delete(d);
  }
  // The root itself is the operator's (its path may hold symlinks: the mount point); create it as before.
  await fs.mkdir(r.root, { recursive: true });
  const parts = relative(r.root, dir)
    .split(sep)
    .filter((p) => p.length > 0);
  let path = r.root;
  for (const part of parts) {
    path = join(path, part);
    let st = await fs.lstat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st === undefined) {
      await fs.mkdir(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      st = await fs.lstat(path);
    }
    if (st.isSymbolicLink()) throw symlinkRefused(path, await fs.readlink(path).catch(() => 'a symlink'));
    if (!st.isDirectory()) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, '${path}'`), { code: 'ENOTDIR', path });
    }
  }
  // One check of the whole chain through a descriptor (catches a part swapped for a symlink meanwhile).
  await (await openDir(dir)).close();
}

/** Resolves when `dir` (which must exist) has no symlink under an efsink root; cached as openDir. */
export async function assertDir(path: string): Promise<void> {
  if (verified.has(resolve(path))) return;
  await (await openDir(path)).close();
}

/** The parent directory, checked (see assertDir). */
export async function assertParent(path: string): Promise<void> {
  await assertDir(dirname(path));
}

/**
 * Forgets every verified directory and resolved root (tests only: they plant symlinks where a
 * directory was, and the fault sweep needs every run to make the same calls).
 */
export function forgetVerifiedDirs(): void {
  verified.clear();
  for (const r of roots) r.real = undefined;
}
