import type * as nodeFs from 'node:fs/promises';
import {
  appendFile,
  copyFile,
  link,
  lstat,
  mkdir,
  mkdtemp,
  open,
  opendir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  truncate,
  unlink,
} from 'node:fs/promises';
import { constants } from 'node:os';

/**
 * The file-system port of the I/O module: every module in `src/io` calls the file system through
 * `fs` below instead of importing `node:fs/promises`, so that a test can put a file system whose
 * calls fail or are cut short at chosen points in its place (test/support/faulty-fs.ts, in the
 * style of sonic-boom's tests) and prove what happens at each of those points.
 *
 * Production never swaps it: `fs` holds Node's own functions. The only change to them is that an
 * errno Node could not name gets its name (see nameErrno), so that it surfaces as `FS_ESTALE`
 * rather than an unreadable `FS_Unknown system error -116` (on NFS ESTALE is an expected error:
 * test/nfs/FINDINGS.md F3).
 */
export type FsPort = Pick<
  typeof nodeFs,
  | 'appendFile'
  | 'copyFile'
  | 'link'
  | 'lstat'
  | 'mkdir'
  | 'mkdtemp'
  | 'open'
  | 'opendir'
  | 'readdir'
  | 'readFile'
  | 'readlink'
  | 'realpath'
  | 'rename'
  | 'rm'
  | 'rmdir'
  | 'stat'
  | 'truncate'
  | 'unlink'
>;

export type { FileHandle } from 'node:fs/promises';

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [-n, name]));

/**
 * Gives an error Node could not name its errno name (`code: 'ESTALE'` instead of
 * "Unknown system error -116"); returns the same error. Node 20's libuv names neither ESTALE nor
 * EDQUOT, and both are expected on EFS (stale handles; per-user quotas).
 */
export function nameErrno<E>(err: E): E {
  const e = err as NodeJS.ErrnoException | null;
  if (e === null || typeof e !== 'object' || typeof e.errno !== 'number') return err;
  if (typeof e.code === 'string' && !e.code.startsWith('Unknown system error')) return err;
  const name = ERRNO_NAMES.get(e.errno);
  if (name !== undefined) e.code = name;
  return err;
}

function withNamedErrors<F extends (...args: never[]) => Promise<unknown>>(f: F): F {
  return (async (...args: Parameters<F>) => {
    try {
      return await f(...args);
    } catch (err) {
      throw nameErrno(err);
    }
  }) as F;
}

function realPort(): FsPort {
  return {
    appendFile: withNamedErrors(appendFile),
    copyFile: withNamedErrors(copyFile),
    link: withNamedErrors(link),
    lstat: withNamedErrors(lstat),
    mkdir: withNamedErrors(mkdir),
    mkdtemp: withNamedErrors(mkdtemp),
    open: withNamedErrors(open),
    opendir: withNamedErrors(opendir),
    readdir: withNamedErrors(readdir),
    readFile: withNamedErrors(readFile),
    readlink: withNamedErrors(readlink),
    realpath: withNamedErrors(realpath),
    rename: withNamedErrors(rename),
    rm: withNamedErrors(rm),
    rmdir: withNamedErrors(rmdir),
    stat: withNamedErrors(stat),
    truncate: withNamedErrors(truncate),
    unlink: withNamedErrors(unlink),
  };
}

/** The functions every `src/io` module uses for file-system calls. */
export const fs: FsPort = realPort();

/** Node's own functions (what `fs` holds unless a test replaced them). */
export const realFs: FsPort = { ...fs };

/**
 * Replaces the port's functions (tests only); returns a function that puts the previous ones back.
 * Module state, so it affects everything in the process: tests that use it run their cases one
 * after another.
 */
export function installFsPort(port: FsPort): () => void {
  const previous = { ...fs };
  Object.assign(fs, port);
  return () => {
    Object.assign(fs, previous);
  };
}
