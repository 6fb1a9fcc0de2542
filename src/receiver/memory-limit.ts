import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/** Where the container's memory limit is, cgroup v2 then v1. */
export const CGROUP_MEMORY_LIMIT_FILES = [
  '/sys/fs/cgroup/memory.max',
  '/sys/fs/cgroup/memory/memory.limit_in_bytes',
] as const;

/**
 * The memory this process may use: the cgroup limit (a Fargate task's memory; `docker run -m`),
 * else the machine's memory (`os.totalmem()`). cgroup v2 writes `max` and v1 a huge number
 * (PAGE_COUNTER_MAX pages) for "no limit"; a limit above the machine's memory means the same.
 */
export function detectMemoryLimitBytes(
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  machineBytes: number = totalmem(),
): number {
  for (const file of CGROUP_MEMORY_LIMIT_FILES) {
    let text: string;
    try {
      text = read(file).trim();
    } catch {
      continue;
    }
    if (!/^\d+$/.test(text)) continue; // 'max'
    const limit = Number(text);
    if (limit > 0 && limit < machineBytes) return limit;
  }
  return machineBytes;
}
