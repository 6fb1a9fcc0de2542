import { join } from 'node:path';
import { isEfsinkError } from '../core/errors.js';
import { SEGMENT_SUFFIX } from '../core/write/plan-segments.js';
import type { SegmentMeta } from '../core/write/segment-meta.js';
import { inodeOf, listSegments, readSegmentHeader } from './assemble-file.js';
import { currentJournal, listState } from './journal.js';
import type { RootLayout } from './layout.js';

/**
 * Every event-id range already on its way into one output file (ADR 0004): the descriptions of the
 * segments the current journal holds, and, from their headers (ADR 0007), of the segments landed
 * but not yet assembled. Segments without a description (Firehose/S3 units, damaged files) are
 * counted in `unknownSegments`: their events cannot be deduplicated against.
 */
export async function readCoverage(
  layout: RootLayout,
  relPath: string,
): Promise<{ metas: SegmentMeta[]; unknownSegments: number }> {
  const metas: SegmentMeta[] = [];
  let unknownSegments = 0;
  const stateDir = join(layout.state, relPath);
  const journal = await currentJournal(
    stateDir,
    await inodeOf(join(layout.root, relPath)),
    await listState(stateDir),
  );
  const seen = new Set<string>();
  for (const [name, entry] of Object.entries(journal?.segments ?? {})) {
    seen.add(name);
    if (entry.meta !== undefined) metas.push(entry.meta);
    else unknownSegments++;
  }
  const segDir = join(layout.segments, relPath);
  for (const name of await listSegments(segDir)) {
    if (seen.has(name)) continue;
    const header = await readSegmentHeader(segDir, name).catch((err: unknown) => {
      if (isEfsinkError(err)) return 'invalid' as const; // the assembler will quarantine it
      throw err;
    });
    // undefined: gone since the listing (its description is in a journal newer than the one read).
    if (header !== undefined && header !== 'invalid' && header.meta !== undefined) metas.push(header.meta);
    else unknownSegments++;
  }
  return { metas, unknownSegments };
}

/** Segments landed for one output file that its current journal does not hold yet (awaiting assembly). */
export async function pendingSegments(layout: RootLayout, relPath: string): Promise<string[]> {
  const stateDir = join(layout.state, relPath);
  const journal = await currentJournal(
    stateDir,
    await inodeOf(join(layout.root, relPath)),
    await listState(stateDir),
  );
  const names = await listSegments(join(layout.segments, relPath));
  return names.filter((n) => journal?.segments[n] === undefined);
}

/**
 * True when a segment of `unitId` is on its way into one output file: landed and waiting, or
 * already in its current journal (assembled, possibly pruned). Segment names end in
 * `~<unitId>.seg` whatever their time key.
 */
export async function unitHasSegment(layout: RootLayout, relPath: string, unitId: string): Promise<boolean> {
  const suffix = `~${unitId}${SEGMENT_SUFFIX}`;
  const names = await listSegments(join(layout.segments, relPath));
  if (names.some((n) => n.endsWith(suffix))) return true;
  const stateDir = join(layout.state, relPath);
  const journal = await currentJournal(
    stateDir,
    await inodeOf(join(layout.root, relPath)),
    await listState(stateDir),
  );
  return Object.keys(journal?.segments ?? {}).some((n) => n.endsWith(suffix));
}
