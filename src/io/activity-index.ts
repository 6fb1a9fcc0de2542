import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { codeOf } from '../core/error-catalogue.js';
import type { Logger } from '../observability/logger.js';
import { publishFile } from './durable-file.js';
import type { RootLayout } from './layout.js';

/**
 * The activity index (ADR 0017): `.efsink/gc/<yyyyMMdd>/<sha256(relPath) hex>`, content `relPath`,
 * one entry per output file that a pass worked on during that UTC day. The sealing sweep
 * (seal.ts) finds idle files by opening only the buckets whose day ended more than the seal age
 * ago, never by listing the state tree or any history. An entry is a hint, never the truth: the
 * sweep judges each file by its own last write before it seals anything.
 */

const DAY_MS = 86_400_000;
export const DAY_BUCKET_RE = /^\d{8}$/;
export const ENTRY_NAME_RE = /^[0-9a-f]{64}$/;

/** The UTC day `ms` falls in, as a bucket name (`20250806`). */
export function dayBucket(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
}

/** The first millisecond after the day a bucket names (NaN for a name that is no bucket). */
export function dayEndMs(bucket: string): number {
  if (!DAY_BUCKET_RE.test(bucket)) return Number.NaN;
  const start = Date.UTC(
    Number(bucket.slice(0, 4)),
    Number(bucket.slice(4, 6)) - 1,
    Number(bucket.slice(6, 8)),
  );
  return start + DAY_MS;
}

export function entryName(relPath: string): string {
  return createHash('sha256').update(relPath).digest('hex');
}

/**
 * Whether `relPath` can name an output file: relative, normalized, no empty, `.` or `..` part and
 * no part starting with `.` (path templates never render one, ADR 0014). An entry's content comes
 * from the shared file system: it must not steer the sweep outside the state tree.
 */
export function isOutputRelPath(relPath: string): boolean {
  if (relPath.length === 0 || isAbsolute(relPath) || relPath.includes('\0')) return false;
  return relPath.split('/').every((p) => p.length > 0 && !p.startsWith('.'));
}

/** Entries this process has written, per root, for the current day only (bounded by the day's files). */
const registered = new Map<string, { day: string; keys: Set<string> }>();

/**
 * Records that `relPath` is being worked on today (UTC), once per process per day: the first call
 * of the day publishes the entry (temp + rename, so a rerun or another process simply replaces it);
 * later calls cost nothing. Never throws: a missed entry only leaves one file unsealed until its
 * next commit, which must never fail a pass (the failure is logged with its code).
 */
export async function noteActivity(
  layout: RootLayout,
  relPath: string,
  nowMs: number,
  log: Logger,
): Promise<void> {
  const day = dayBucket(nowMs);
  const root = resolve(layout.root);
  let memo = registered.get(root);
  if (memo?.day !== day) {
    memo = { day, keys: new Set() };
    registered.set(root, memo);
  }
  if (memo.keys.has(relPath)) return;
  try {
    await publishEntry(layout, day, relPath);
    memo.keys.add(relPath);
  } catch (err) {
    log.warn(
      { relPath, code: codeOf(err), err: (err as Error).message },
      'could not record the file in the activity index; it is sealed only after its next commit',
    );
  }
}

/** Publishes the entry of `relPath` in bucket `day` (replacing an equal one). */
export async function publishEntry(layout: RootLayout, day: string, relPath: string): Promise<void> {
  await publishFile(layout.tmp, join(layout.gc, day, entryName(relPath)), Buffer.from(relPath, 'utf8'));
}

/** Forgets what this process registered (tests: runs that reset the root must make the same calls). */
export function forgetActivity(): void {
  registered.clear();
}
