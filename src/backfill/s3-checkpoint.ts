import { publishFile } from '../io/durable-file.js';
import type { RootLayout } from '../io/layout.js';
import { readCheckpointFile } from './checkpoint.js';

/** An object that failed for a reason of its own (corrupt gzip, NoSuchKey, …): retried by the next run. */
export interface FailedObject {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

/**
 * Where an S3 backfill stands (ADR 0005). Invariant: every key of the listing that sorts at or
 * before `startAfter` is durable on EFS (landed, maybe not yet assembled) or listed in `failed`.
 * Rewritten atomically (temp, fsync, rename, directory fsync) after each object is durable, under
 * `<root>/.efsink/backfill/<sha256(args)>.json` (same naming as the CloudWatch checkpoint).
 */
export interface S3Checkpoint {
  readonly version: 1;
  readonly kind: 's3';
  readonly args: Readonly<Record<string, string | number>>;
  /** The last key fully handled; the next listing starts after it (ListObjectsV2 `StartAfter`). */
  readonly startAfter?: string;
  readonly pages: number;
  readonly objectsRead: number;
  /** Objects that landed at least one new segment. */
  readonly objectsLanded: number;
  /** Objects whose segment was already there (landed by the live S3 path or an earlier run). */
  readonly objectsAlreadyPresent: number;
  readonly bytesRead: number;
  readonly bytesLanded: number;
  readonly failed: readonly FailedObject[];
  /** The listing reached its end once (a later run still lists after `startAfter`, for new objects). */
  readonly done: boolean;
}

export function freshS3Checkpoint(args: Readonly<Record<string, string | number>>): S3Checkpoint {
  return {
    version: 1,
    kind: 's3',
    args,
    pages: 0,
    objectsRead: 0,
    objectsLanded: 0,
    objectsAlreadyPresent: 0,
    bytesRead: 0,
    bytesLanded: 0,
    failed: [],
    done: false,
  };
}

export async function readS3Checkpoint(path: string): Promise<S3Checkpoint | undefined> {
  return readCheckpointFile(
    path,
    (c: S3Checkpoint) =>
      c.version === 1 &&
      c.kind === 's3' &&
      typeof c.objectsRead === 'number' &&
      Array.isArray(c.failed) &&
      (c.startAfter === undefined || typeof c.startAfter === 'string'),
    'objects already on EFS land as no-ops',
  );
}

export async function writeS3Checkpoint(layout: RootLayout, path: string, c: S3Checkpoint): Promise<void> {
  await publishFile(layout.tmp, path, Buffer.from(JSON.stringify(c)));
}
