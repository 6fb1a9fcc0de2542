import { execFileSync } from 'node:child_process';

/** `commit abc1234 + N uncommitted change(s) under src/`: which code a benchmark measured. */
export function gitDescription(): string {
  const git = (...a: string[]): string => {
    try {
      return execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '?';
    }
  };
  const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty > 0 ? ` + ${dirty} uncommitted change(s) under src/` : ''}`;
}
