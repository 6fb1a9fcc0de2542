import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createExclusive, fsyncDir } from '../io/durable-file.js';
import type { RootLayout } from '../io/layout.js';

/**
 * Pins the timestamp of a Firehose request id the first time it is seen, durably, so that every
 * retry of the request routes to the same hour and produces the same segment names.
 *
 * Why: the request id is documented as stable across retries, the request `timestamp` is not. If a
 * retry carried a later timestamp across an hour boundary, its segment would land in the next
 * hour's file, or under a different name, and the records would be written twice. The pin is one
 * small file per request id under `<root>/.efsink/firehose-requests/`, created exclusively with
 * link(2) (atomic on the NFS server, so racing receivers agree on the first timestamp) and made
 * durable before any segment lands. Pins are swept after `maxAgeMs` (Firehose keeps undelivered
 * data for at most 24 h).
 */
export interface RequestPins {
  /** The timestamp to use for `unitId`: the pinned one, or `timestampMs` pinned now. */
  pin(unitId: string, timestampMs: number): Promise<number>;
  /** Deletes pins older than `maxAgeMs`; returns how many. */
  sweep(nowMs: number, maxAgeMs: number): Promise<number>;
}

/** 48 h: twice the longest time Firehose keeps retrying data before it gives up (24 h). */
export const DEFAULT_PIN_MAX_AGE_MS = 48 * 3_600_000;

export function requestPins(layout: RootLayout): RequestPins {
  const dir = join(layout.internal, 'firehose-requests');
  const read = async (path: string): Promise<number | undefined> => {
    try {
      const text = await readFile(path, 'utf8');
      return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    async pin(unitId, timestampMs) {
      const path = join(dir, unitId);
      const existing = await read(path);
      if (existing !== undefined) return existing;
      const created = await createExclusive(layout.tmp, path, Buffer.from(String(timestampMs))).catch(
        async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
          await mkdir(dir, { recursive: true });
          await mkdir(layout.tmp, { recursive: true });
          return createExclusive(layout.tmp, path, Buffer.from(String(timestampMs)));
        },
      );
      await fsyncDir(dir);
      if (created) return timestampMs;
      // Another writer pinned it first (or a torn pin from a crash: fall back to ours).
      return (await read(path)) ?? timestampMs;
    },
    async sweep(nowMs, maxAgeMs) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw err;
      }
      let removed = 0;
      for (const name of names) {
        const path = join(dir, name);
        const st = await stat(path).catch(() => undefined);
        if (st !== undefined && nowMs - st.mtimeMs > maxAgeMs) {
          await unlink(path).catch(() => {});
          removed++;
        }
      }
      return removed;
    },
  };
}
