/**
 * What a CloudWatch Logs segment holds, in event-id terms (ADR 0004). Landed in the segment file's
 * header (ADR 0007), and copied by the assembler into the journal entry, so that backfill can tell,
 * per output file and log stream, which event ids are already on EFS.
 *
 * The description covers a contiguous run of one stream's events: `firstEventId`..`lastEventId`
 * holds every event of the stream between those ids that routes to this output file. That is true
 * of subscription payloads when the subscription filter pattern is empty (every event is
 * forwarded, in stream order), and of backfill units by construction; `efsink verify` proves it.
 */
export interface SegmentMeta {
  readonly v: 1;
  readonly logGroup: string;
  readonly logStream: string;
  readonly firstEventId: string;
  readonly lastEventId: string;
  readonly eventCount: number;
}

/** Parses a segment header's or a journal entry's `meta`; anything else (damaged) is `undefined`. */
export function parseSegmentMeta(v: unknown): SegmentMeta | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as Record<string, unknown>;
  if (
    m.v !== 1 ||
    typeof m.logGroup !== 'string' ||
    typeof m.logStream !== 'string' ||
    typeof m.firstEventId !== 'string' ||
    typeof m.lastEventId !== 'string' ||
    typeof m.eventCount !== 'number' ||
    !Number.isSafeInteger(m.eventCount) ||
    m.eventCount < 1
  ) {
    return undefined;
  }
  return {
    v: 1,
    logGroup: m.logGroup,
    logStream: m.logStream,
    firstEventId: m.firstEventId,
    lastEventId: m.lastEventId,
    eventCount: m.eventCount,
  };
}

/**
 * An orderable key for a CloudWatch event id: decimal ids (the real 56-digit shape) are left-padded
 * to 60 digits so that string order is numeric order; any other id gets `undefined` (not orderable:
 * such ids are only ever matched exactly).
 */
export function orderedIdKey(id: string): string | undefined {
  return /^\d{1,60}$/.test(id) ? id.padStart(60, '0') : undefined;
}
