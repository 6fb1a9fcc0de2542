import type { FirehoseRecord } from '../decode/firehose-request-records.js';
import { type PathTemplate, renderPath, type TemplateValues } from '../layout/path-template.js';
import { frameEntries } from './frame.js';
import {
  planCloudWatchUnit,
  SEGMENT_SUFFIX,
  type SegmentPlan,
  timeKey,
  type UnitPlan,
  unitIdOf,
} from './plan-segments.js';

/** Where Firehose data goes when the record itself does not say (direct API Gateway records). */
export interface FirehoseRouting {
  /**
   * `{logGroup}` for records that are not CloudWatch Logs payloads. Set it to the stage's log group
   * name (`API-Gateway-Execution-Logs_…` or your access-log group) to land Firehose data in the same
   * hourly files as the CloudWatch path. @default the delivery stream name
   */
  readonly logGroup?: string | undefined;
  /** `{source}`: the delivery stream name. */
  readonly source?: string | undefined;
}

/** One routed entry: its output file, its time (for the segment's sort key) and its bytes. */
interface RoutedEntry {
  readonly relPath: string;
  readonly timestampMs: number;
  readonly bytes: Uint8Array;
}

/** `arn:aws:firehose:<region>:<account>:deliverystream/<name>` → `<name>`; undefined otherwise. */
export function deliveryStreamNameOf(arn: string | undefined): string | undefined {
  const m = arn === undefined ? null : /^arn:[^:]+:firehose:[^:]*:[^:]*:deliverystream\/(.+)$/.exec(arn);
  return m?.[1];
}

/**
 * Plans one Firehose HTTP endpoint request. Direct records form one unit whose identity is the
 * request id alone: Firehose reuses the id when it retries, so a retry produces the same segment
 * names and landing it again changes nothing. They go to the hour of `timestampMs` (the request
 * timestamp, or the one pinned for this request id by the receiver) under `routing.logGroup`, in
 * request order.
 *
 * A CloudWatch Logs payload is planned exactly as the CloudWatch path plans it
 * (`planCloudWatchUnit`): its own unit (identity from the payload: owner, group, stream, first and
 * last event id, count), its events routed by their own log group and timestamp, and every segment
 * described by its event-id range (ADR 0004), so backfill knows these events are on EFS (issue 11,
 * item 8; ADR 0012). A retried request carries the same payloads, hence the same names; the same
 * payload delivered twice (in two requests, or twice in one) lands once. CONTROL_MESSAGE payloads
 * contribute nothing.
 *
 * @example
 * planFirehoseRequest('req-1', 1754488800000, [{ kind: 'raw', bytes }], template, { logGroup: 'api' })
 */
export function planFirehoseRequest(
  requestId: string,
  timestampMs: number,
  records: readonly FirehoseRecord[],
  template: PathTemplate,
  routing: FirehoseRouting,
): UnitPlan {
  return planFirehoseRecords(unitIdOf('firehose', [requestId]), timestampMs, records, template, routing);
}

/**
 * {@link planFirehoseRequest}'s routing and framing under a given unit id: `efsink replay
 * firehose-backup` lands the records of a failed request exactly as the receiver would have, under
 * an identity of its own (ADR 0011).
 */
export function planFirehoseRecords(
  unitId: string,
  timestampMs: number,
  records: readonly FirehoseRecord[],
  template: PathTemplate,
  routing: FirehoseRouting,
): UnitPlan {
  const source = routing.source ?? '';
  const direct: TemplateValues = { logGroup: routing.logGroup ?? source, source };
  let directPath: string | undefined;
  const routed: RoutedEntry[] = [];
  const payloadSegments: SegmentPlan[] = [];
  const payloadUnits = new Set<string>();
  let payloadEntries = 0;
  for (const rec of records) {
    if (rec.kind === 'raw') {
      directPath ??= renderPath(template, direct, timestampMs);
      routed.push({ relPath: directPath, timestampMs, bytes: rec.bytes });
      continue;
    }
    const unit = planCloudWatchUnit(rec.payload, template, { source });
    if (payloadUnits.has(unit.unitId)) continue;
    payloadUnits.add(unit.unitId);
    payloadSegments.push(...unit.segments);
    payloadEntries += unit.entryCount;
  }
  const directPlan = planRouted(unitId, routed);
  return {
    unitId,
    segments: [...directPlan.segments, ...payloadSegments],
    entryCount: directPlan.entryCount + payloadEntries,
  };
}

/**
 * Plans one S3 object written by Firehose as one unit holding ONE entry: the object's bytes as
 * delivered (gunzipped). Firehose concatenates records without a delimiter unless a processor adds
 * one, so the object cannot be split into records reliably; kept whole, it is byte-exact in both
 * cases, and the framing rule only adds a `\n` when the object does not already end with one (so
 * the next object cannot run into its last line). Identity: bucket + key + (version id, else ETag).
 */
export function planFirehoseObject(
  object: { bucket: string; key: string; versionId?: string | undefined; eTag?: string | undefined },
  bytes: Uint8Array,
  timestampMs: number,
  template: PathTemplate,
  routing: FirehoseRouting,
): UnitPlan {
  const version = object.versionId ? `v:${object.versionId}` : `e:${object.eTag ?? ''}`;
  const unitId = unitIdOf('s3', [object.bucket, object.key, version]);
  const source = routing.source ?? '';
  const values: TemplateValues = { logGroup: routing.logGroup ?? source, source };
  return planRouted(unitId, [{ relPath: renderPath(template, values, timestampMs), timestampMs, bytes }]);
}

/** Groups entries by output file (keeping their order) and frames each group into one segment. */
function planRouted(unitId: string, entries: readonly RoutedEntry[]): UnitPlan {
  const groups = new Map<string, { first: RoutedEntry; items: Uint8Array[] }>();
  for (const e of entries) {
    let g = groups.get(e.relPath);
    if (g === undefined) {
      g = { first: e, items: [] };
      groups.set(e.relPath, g);
    }
    g.items.push(e.bytes);
  }
  const segments: SegmentPlan[] = [];
  for (const [relPath, g] of groups) {
    segments.push({
      relPath,
      // Across units, segments of one file are assembled by time of their first entry, then unit id.
      name: `${timeKey(g.first.timestampMs)}~${unitId}${SEGMENT_SUFFIX}`,
      bytes: frameEntries(g.items),
      entryCount: g.items.length,
    });
  }
  return { unitId, segments, entryCount: entries.length };
}

/** Parts of a Firehose S3 object name (`<prefix><stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><ext>`). */
export interface FirehoseObjectName {
  readonly deliveryStreamName: string;
  readonly streamVersion: number;
  /** The time in the name (UTC, seconds precision), ms since epoch. */
  readonly timestampMs: number;
}

const OBJECT_NAME =
  /^(.+)-(\d+)-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(\.[^/]*)?$/;

/**
 * Parses the name Firehose gives S3 objects. The time in the name is deterministic for a given
 * object (live delivery and a later backfill route it to the same hour), unlike LastModified,
 * which a copy changes. Returns undefined for names Firehose did not make.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html
 */
export function parseFirehoseObjectName(key: string): FirehoseObjectName | undefined {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const m = OBJECT_NAME.exec(base);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(3, 9).map(Number) as [number, number, number, number, number, number];
  const timestampMs = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(timestampMs);
  // Reject impossible dates (2024-02-30 would silently roll over to March).
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return { deliveryStreamName: m[1] as string, streamVersion: Number(m[2]), timestampMs };
}
