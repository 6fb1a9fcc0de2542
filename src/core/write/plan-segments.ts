import { createHash } from 'node:crypto';
import type { SubscriptionPayload } from '../decode/cloudwatch-logs.js';
import { hourOf, type PathTemplate, renderPath, type TemplateValues } from '../layout/path-template.js';
import { frameEntries } from './frame.js';
import { orderedIdKey, type SegmentMeta } from './segment-meta.js';

/**
 * One immutable segment to land: the framed bytes one delivery unit contributes to one output file.
 * Its name is derived from the unit's identity only, so a redelivered unit produces the same name
 * and the same bytes, and landing it again changes nothing.
 */
export interface SegmentPlan {
  /** Output file, relative to the root (already confined; see renderPath). */
  readonly relPath: string;
  /** `<sortKey>~<unitId>.seg`; segments are assembled in name order. */
  readonly name: string;
  readonly bytes: Buffer;
  readonly entryCount: number;
  /** Event-id description landed beside the segment (CloudWatch units; ADR 0004). */
  readonly meta?: SegmentMeta;
}

export interface UnitPlan {
  /** Stable identity of the delivery unit (hex). */
  readonly unitId: string;
  readonly segments: readonly SegmentPlan[];
  readonly entryCount: number;
}

/** One entry of a delivery unit, before routing. */
export interface UnitEntry {
  readonly timestampMs: number;
  readonly bytes: Uint8Array;
}

export const SEGMENT_SUFFIX = '.seg';

/** A stable, fixed-width hex id from identity parts (NUL-separated so parts cannot run together). */
export function unitIdOf(kind: string, parts: readonly (string | number)[]): string {
  const h = createHash('sha256').update(kind);
  for (const p of parts) h.update('\0').update(String(p));
  return h.digest('hex').slice(0, 32);
}

/**
 * Groups a unit's entries by output file (a unit spanning an hour boundary lands in both hours),
 * keeping the entries' order within each file, and frames each group into one segment.
 *
 * `sortKeyOf(firstEntryIndex)` names the segment so that, across units, segments of one file are
 * assembled in a stable order (by time of their first entry, then source order, then unit id).
 */
export function planUnit(
  unitId: string,
  entries: readonly UnitEntry[],
  template: PathTemplate,
  values: TemplateValues,
  sortKeyOf: (firstEntryIndex: number) => string,
  metaOf?: (firstEntryIndex: number, lastEntryIndex: number, count: number) => SegmentMeta,
): UnitPlan {
  const groups = new Map<string, { first: number; last: number; items: Uint8Array[] }>();
  // Rendering the template per entry is the hot path; entries of one hour share a path.
  const pathByHour = new Map<number, string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as UnitEntry;
    const hour = template.usesTime ? hourOf(e.timestampMs) : 0;
    let relPath = pathByHour.get(hour);
    if (relPath === undefined) {
      relPath = renderPath(template, values, e.timestampMs);
      pathByHour.set(hour, relPath);
    }
    let g = groups.get(relPath);
    if (g === undefined) {
      g = { first: i, last: i, items: [] };
      groups.set(relPath, g);
    }
    g.last = i;
    g.items.push(e.bytes);
  }
  const segments: SegmentPlan[] = [];
  for (const [relPath, g] of groups) {
    segments.push({
      relPath,
      name: `${sortKeyOf(g.first)}~${unitId}${SEGMENT_SUFFIX}`,
      bytes: frameEntries(g.items),
      entryCount: g.items.length,
      ...(metaOf ? { meta: metaOf(g.first, g.last, g.items.length) } : {}),
    });
  }
  return { unitId, segments, entryCount: entries.length };
}

/** Zero-padded so that names sort by time (ms since epoch fit in 15 digits until year 33658). */
export function timeKey(timestampMs: number): string {
  return String(timestampMs).padStart(15, '0');
}

/**
 * Plans a CloudWatch Logs subscription payload. Identity: owner + log group + log stream + first
 * and last event id + event count (the same payload redelivered by Lambda's async retries has the
 * same identity). CONTROL_MESSAGE payloads plan no segments. `extraValues` fills template tokens the
 * payload does not carry (`{source}` on the Firehose path).
 */
export function planCloudWatchUnit(
  payload: SubscriptionPayload,
  template: PathTemplate,
  extraValues: TemplateValues = {},
): UnitPlan {
  const events = payload.logEvents;
  const first = events[0];
  const last = events[events.length - 1];
  const unitId = unitIdOf('cwl', [
    payload.owner,
    payload.logGroup,
    payload.logStream,
    first?.id ?? '',
    last?.id ?? '',
    events.length,
  ]);
  if (payload.messageType === 'CONTROL_MESSAGE' || events.length === 0) {
    return { unitId, segments: [], entryCount: 0 };
  }
  const entries = events.map((e) => ({ timestampMs: e.timestamp, bytes: e.message }));
  const values = {
    ...extraValues,
    logGroup: payload.logGroup,
    logStream: payload.logStream,
    owner: payload.owner,
  };
  return planUnit(
    unitId,
    entries,
    template,
    values,
    (i) => {
      const e = events[i] as (typeof events)[number];
      return `${timeKey(e.timestamp)}-${eventIdKey(e.id)}`;
    },
    (firstIndex, lastIndex, count) => ({
      v: 1,
      logGroup: payload.logGroup,
      logStream: payload.logStream,
      firstEventId: (events[firstIndex] as (typeof events)[number]).id,
      lastEventId: (events[lastIndex] as (typeof events)[number]).id,
      eventCount: count,
    }),
  );
}

/**
 * CloudWatch event ids are decimal strings that grow with time and sequence within a stream, so a
 * zero-padded id orders the payloads of one stream; other ids are hashed to keep names safe.
 */
export function eventIdKey(id: string): string {
  return orderedIdKey(id) ?? createHash('sha256').update(id).digest('hex').slice(0, 60);
}
