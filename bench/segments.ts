import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSegmentHeader } from '../src/core/write/segment-file.js';

/**
 * Framed bytes held by the landed `*.seg` files under `dir` (their bodies, without the segment
 * header of ADR 0007): what the "bytes ok" checks compare with the corpus's framed bytes.
 */
export function segmentBodyBytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.seg')) continue;
    total += decodeSegmentHeader(readFileSync(join(e.parentPath, e.name))).bodyBytes;
  }
  return total;
}

/** Bytes of every file under `dir` (0 when it is missing); efsink's `.efsink/` state is never counted. */
export function visibleBytesUnder(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '.efsink') total += visibleBytesUnder(p);
    } else total += statSync(p).size;
  }
  return total;
}
