import { join } from 'node:path';
import { isEfsinkError } from '../core/errors.js';
import { SEGMENT_SUFFIX } from '../core/write/plan-segments.js';
import type { SegmentMeta } from '../core/write/segment-meta.js';
import { inodeOf, listSegments, readSegmentHeader, SEGMENT_CONCURRENCY } from './assemble-file.js';
import { registerRoot } from './confine.js';
import {
  type AnyJournal,
  currentJournal,
  isAssembled,
  isCommitted,
  listState,
  readBatches,
  readMarker,
} from './journal.js';
import type { RootLayout } from './layout.js';
import { mapBounded } from './map-bounded.js';

/**
 * Every event-id range already on its way into one output file (ADR 0004): the descriptions of the
 * segments the file's lineage holds (its batch records, ADR 0013), and, from their headers
 * (ADR 0007), of the segments landed but not yet assembled. Segments without a description
 * (Firehose/S3 units, damaged files) are counted in `unknownSegments`: their events cannot be
 * deduplicated against. Reads every batch record of the file: backfill's cost, never a pass's.
 */
export async function readCoverage(
  layout: RootLayout,
  relPath: string,
): Promise<{ metas: SegmentMeta[]; unknownSegments: number }> {
  const metas: SegmentMeta[] = [];
  let unknownSegments = 0;
  registerRoot(layout.root, layout.segments);
  const stateDir = join(layout.state, relPath);
  const journal = await journalOf(layout, relPath);
  const seen = new Set<string>();
  const add = (name: string, meta: SegmentMeta | undefined): void => {
    if (seen.has(name)) return;
    seen.add(name);
    if (meta !== undefined) metas.push(meta);
    else unknownSegments++;
  };
  if (journal?.version === 1) {
    for (const [name, entry] of Object.entries(journal.segments)) add(name, entry.meta);
  } else if (journal !== undefined) {
    for await (const record of readBatches(stateDir)) {
      for (const e of record.entries) if (isCommitted(journal, record.gen, e)) add(e.name, e.meta);
    }
  }
  const segDir = join(layout.segments, relPath);
  for (const name of await listSegments(segDir)) {
    if (seen.has(name)) continue;
    const header = await readSegmentHeader(segDir, name).catch((err: unknown) => {
      if (isEfsinkError(err)) return 'invalid' as const; // the assembler will quarantine it
      throw err;
    });
    // undefined: gone since the listing (assembled meanwhile; its description is in a batch record).
    if (header !== undefined && header !== 'invalid' && header.meta !== undefined) metas.push(header.meta);
    else unknownSegments++;
  }
  return { metas, unknownSegments };
}

/** Segments landed for one output file that its lineage does not hold yet (awaiting assembly). */
export async function pendingSegments(layout: RootLayout, relPath: string): Promise<string[]> {
  const stateDir = join(layout.state, relPath);
  const journal = await journalOf(layout, relPath);
  const names = await listSegments(join(layout.segments, relPath));
  const held = await mapBounded(names, SEGMENT_CONCURRENCY, async (n) => {
    if (journal === undefined) return false;
    if (journal.version === 1) return journal.segments[n] !== undefined;
    return isAssembled(stateDir, journal, n);
  });
  return names.filter((_, i) => !held[i]);
}

async function journalOf(layout: RootLayout, relPath: string): Promise<AnyJournal | undefined> {
  registerRoot(layout.root, layout.segments); // every reader here is confined (ADR 0014)
  const stateDir = join(layout.state, relPath);
  return currentJournal(stateDir, await inodeOf(join(layout.root, relPath)), await listState(stateDir));
}

/**
 * True when a segment of `unitId` is on its way into one output file: landed and waiting, or
 * already in its lineage (assembled, possibly retired). Segment names end in
 * `~<unitId>.seg` whatever their time key.
 */
export async function unitHasSegment(layout: RootLayout, relPath: string, unitId: string): Promise<boolean> {
  const suffix = `~${unitId}${SEGMENT_SUFFIX}`;
  const names = await listSegments(join(layout.segments, relPath));
  if (names.some((n) => n.endsWith(suffix))) return true;
  const stateDir = join(layout.state, relPath);
  const journal = await journalOf(layout, relPath);
  if (journal === undefined) return false;
  if (journal.version === 1) return Object.keys(journal.segments).some((n) => n.endsWith(suffix));
  // The marker's name is not known (its time key is the receiver's), so this reads the lineage's
  // batch records: a bulk reader's cost (replay), as readCoverage's, never an assembly pass's.
  for await (const record of readBatches(stateDir)) {
    if (record.entries.some((e) => e.name.endsWith(suffix) && isCommitted(journal, record.gen, e)))
      return true;
  }
  return false;
}

/**
 * True when segment `name` is committed in the current lineage of output file `relPath`: its marker
 * (`done/<name>`, ADR 0013) exists and the head bound to the file's inode covers it. One lookup in
 * the usual case (no marker); the head is read only for a redelivery of an assembled segment, which
 * is then acknowledged without landing again (its bytes are durable in the file). A marker hidden by
 * a cached negative lookup only costs a landing the assembler then recognizes as a duplicate.
 */
export async function isSegmentAssembled(
  layout: RootLayout,
  relPath: string,
  name: string,
): Promise<boolean> {
  registerRoot(layout.root, layout.segments);
  const stateDir = join(layout.state, relPath);
  const record = await readMarker(stateDir, name);
  if (record === undefined) return false;
  const journal = await journalOf(layout, relPath);
  if (journal === undefined || journal.version === 1) return false;
  const entry = record.entries.find((e) => e.name === name);
  return entry !== undefined && isCommitted(journal, record.gen, entry);
}
