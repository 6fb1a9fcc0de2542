import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Syscall counts on the output files, from `strace -f -y`: every traced call whose arguments name
 * a path under the run's root (a file name, or an fd that `-y` prints with its path) is counted.
 * Node's own calls (loading modules, reading the corpus, writing to stdout) are therefore excluded.
 * `strace -c` would count those too, which is why we trace instead of summarising.
 */

/** The write-type calls of the issue: what costs an NFS round trip (or several) per call on EFS. */
export const WRITE_TYPE = [
  'write',
  'pwrite64',
  'writev',
  'pwritev',
  'fsync',
  'fdatasync',
  'openat',
  'rename',
  'renameat',
  'renameat2',
  'close',
] as const;

/** Metadata calls, also NFS operations on EFS (LOOKUP, GETATTR, CREATE, REMOVE, READDIR…); reported apart. */
export const METADATA = [
  'stat',
  'lstat',
  'newfstatat',
  'statx',
  'fstat',
  'mkdir',
  'mkdirat',
  'unlink',
  'unlinkat',
  'link',
  'linkat',
  'rmdir',
  'getdents64',
  'ftruncate',
  'truncate',
  'read',
  'pread64',
] as const;

export type SyscallCounts = Record<string, number>;

/** Finds strace; installs it with apt when we are root and it is missing. Returns a reason when unusable. */
export function ensureStrace(): { ok: true } | { ok: false; reason: string } {
  if (spawnSync('strace', ['-V']).status === 0) return probe();
  if (process.getuid?.() !== 0) return { ok: false, reason: 'strace is not installed (and we are not root)' };
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', 'strace'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'strace is not installed and `apt-get install -y strace` failed' };
  }
  return spawnSync('strace', ['-V']).status === 0 ? probe() : { ok: false, reason: 'strace install failed' };
}

/** ptrace may be forbidden in a container (seccomp, no CAP_SYS_PTRACE). */
function probe(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=none', 'true'], { encoding: 'utf8' });
  return r.status === 0
    ? { ok: true }
    : { ok: false, reason: `strace cannot trace here: ${r.stderr.trim()}` };
}

/** Runs `command` under strace and returns per-syscall counts of calls touching `root`. */
export function traceOutputSyscalls(
  command: readonly string[],
  root: string,
  traceFile: string,
): SyscallCounts {
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-y',
      '-s',
      '0',
      '-o',
      traceFile,
      '-e',
      `trace=${[...WRITE_TYPE, ...METADATA].join(',')}`,
      ...command,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`traced child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return countTouching(readFileSync(traceFile, 'utf8'), root);
}

/**
 * Counts the calls in an strace `-f -o` log whose line mentions `root`. A call interrupted by
 * another thread appears as `name(args <unfinished ...>` and later `<... name resumed>`: only the
 * first line is counted (it carries the arguments, hence the path).
 */
export function countTouching(log: string, root: string): SyscallCounts {
  const counts: SyscallCounts = {};
  const call = /^\d+\s+([a-z0-9_]+)\(/;
  // The root itself or anything under it, but not a sibling that merely shares the prefix.
  const marks = [`${root}/`, `${root}>`, `${root}"`];
  for (const line of log.split('\n')) {
    const m = call.exec(line);
    if (m === null || !marks.some((k) => line.includes(k))) continue;
    const name = m[1] as string;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

export function sumOf(counts: SyscallCounts, names: readonly string[]): number {
  return names.reduce((s, n) => s + (counts[n] ?? 0), 0);
}
