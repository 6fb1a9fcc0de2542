import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publishFile } from '../io/durable-file.js';
import type { RootLayout } from '../io/layout.js';
import { BackfillErrorCode, backfillError } from './errors.js';

/** Where a backfill stands; rewritten atomically after the units of each page are durable. */
export interface Checkpoint {
  readonly version: 1;
  /** What the run was asked to do (the checkpoint's name is a hash of this). */
  readonly args: Readonly<Record<string, string | number>>;
  /** Token of the next page to read; undefined before the first page and after the last. */
  readonly nextToken?: string;
  /** Timestamp of the last event read: where to restart if the token is refused (expired). */
  readonly resumeFromMs?: number;
  /** startTime the token belongs to (moves to `resumeFromMs` when a refused token forced a restart). */
  readonly queryStartMs?: number;
  readonly pages: number;
  readonly eventsRead: number;
  readonly eventsLanded: number;
  readonly eventsSkipped: number;
  readonly bytesLanded: number;
  readonly done: boolean;
}

export function checkpointPath(layout: RootLayout, args: Readonly<Record<string, string | number>>): string {
  const canonical = JSON.stringify(
    Object.keys(args)
      .sort()
      .map((k) => [k, args[k]]),
  );
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 32);
  return join(layout.internal, 'backfill', `${hash}.json`);
}

export function freshCheckpoint(args: Readonly<Record<string, string | number>>): Checkpoint {
  return {
    version: 1,
    args,
    pages: 0,
    eventsRead: 0,
    eventsLanded: 0,
    eventsSkipped: 0,
    bytesLanded: 0,
    done: false,
  };
}

export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  return readCheckpointFile(
    path,
    (c: Checkpoint) => c.version === 1 && typeof c.pages === 'number' && typeof c.done === 'boolean',
    'landed events are deduplicated',
  );
}

/** Reads a checkpoint file of any source; a file that fails `valid` is BACKFILL_CHECKPOINT_CORRUPT. */
export async function readCheckpointFile<T>(
  path: string,
  valid: (c: T) => boolean,
  whyRestartIsSafe: string,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const c = JSON.parse(text) as T;
    if (typeof c !== 'object' || c === null || !valid(c)) throw new Error('shape');
    return c;
  } catch (cause) {
    throw backfillError(
      BackfillErrorCode.checkpointCorrupt,
      `checkpoint ${path} is not a valid backfill checkpoint; delete it to start over (${whyRestartIsSafe})`,
      cause,
    );
  }
}

/** temp → write → fsync → rename → fsync(dir): a crash leaves the old checkpoint or the new one. */
export async function writeCheckpoint(layout: RootLayout, path: string, c: Checkpoint): Promise<void> {
  await publishFile(layout.tmp, path, Buffer.from(JSON.stringify(c)));
}
