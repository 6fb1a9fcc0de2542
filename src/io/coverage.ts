import { join } from 'node:path';
import type { SegmentMeta } from '../core/write/segment-meta.js';
import { inodeOf, listSegments, readMeta } from './assemble-file.js';
import { currentJournal, listState } from './journal.js';
import type { RootLayout } from './layout.js';

/**
 * Every event-id range already on its way into one output file (ADR 0004): the sidecars of the
 * segments the current journal holds, and of the segments landed but not yet assembled. Segments
 * landed without a sidecar (before ADR 0004) are counted in `unknownSegments`: their events cannot
 * be deduplicated against.
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
    const meta = await readMeta(segDir, name);
    if (meta !== undefined) metas.push(meta);
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
