import type { LogEvent, SubscriptionPayload } from '../decode/cloudwatch-logs.js';
import { FALLBACK, Scanner } from '../decode/cloudwatch-logs-fast.js';
import { isEfsinkError } from '../errors.js';
import { hourOf, type PathTemplate, renderPath } from '../layout/path-template.js';
import { LF } from './frame.js';
import {
  eventIdKey,
  planCloudWatchUnit,
  SEGMENT_SUFFIX,
  timeKey,
  type UnitPlan,
  unitIdOf,
} from './plan-segments.js';

/** What the ingest adapter reports about a payload, besides its plan. */
export type PayloadSummary = Omit<SubscriptionPayload, 'logEvents'> & { readonly eventCount: number };

/**
 * Decodes and plans a subscription payload in one pass: each message is decoded straight into the
 * framed buffer of its output file, with no object, string or view per event (ids become strings
 * only at segment boundaries). Measured: per-event objects were the largest cost left in ingest
 * (bench/README.md, "Where the time goes"). Returns undefined — and the caller decodes and plans
 * the general way — for anything the fast decoder declines, and for payloads whose shape this
 * planner does not take: a message before its timestamp, more than MAX_GROUPS hours, hours that
 * share an output file, no events. So the result is always what `planCloudWatchUnit` would plan
 * (a property test checks this).
 */
export function planCloudWatchFast(
  json: Buffer,
  template: PathTemplate,
): { summary: PayloadSummary; plan: UnitPlan } | undefined {
  const scanner = new FramingScanner(json, template.usesTime);
  let payload: SubscriptionPayload;
  try {
    payload = scanner.envelope();
  } catch (signal) {
    // Only the fallback signal declines; anything else is a bug and must surface.
    if (signal === FALLBACK) return undefined;
    throw signal;
  }
  const { count, groups } = scanner;
  if (count === 0 || count !== payload.logEvents.length) return undefined;
  // The payload's first event opened the first group; its last event is the last of the group it
  // went to (the scanner's current group).
  const first = groups[0] as Group;
  const last = scanner.current as Group;
  const firstId = scanner.idString(first.firstIdStart, first.firstIdEnd, first.firstIdAscii);
  const lastId = scanner.idString(last.lastIdStart, last.lastIdEnd, last.lastIdAscii);
  const { owner, logGroup, logStream } = payload;
  const unitId = unitIdOf('cwl', [owner, logGroup, logStream, firstId, lastId, count]);
  const values = { logGroup, logStream, owner };
  const segments = [];
  const paths = new Set<string>();
  for (const g of groups) {
    let relPath: string;
    try {
      relPath = renderPath(template, values, g.firstTimestamp);
    } catch (error) {
      if (isEfsinkError(error)) return undefined; // the general path raises the same coded error
      throw error;
    }
    if (paths.has(relPath)) return undefined; // two hours, one file: entries would interleave
    paths.add(relPath);
    const groupFirstId = scanner.idString(g.firstIdStart, g.firstIdEnd, g.firstIdAscii);
    segments.push({
      relPath,
      name: `${timeKey(g.firstTimestamp)}-${eventIdKey(groupFirstId)}~${unitId}${SEGMENT_SUFFIX}`,
      bytes: g.out.subarray(0, g.used),
      entryCount: g.count,
      meta: {
        v: 1 as const,
        logGroup,
        logStream,
        firstEventId: groupFirstId,
        lastEventId: scanner.idString(g.lastIdStart, g.lastIdEnd, g.lastIdAscii),
        eventCount: g.count,
      },
    });
  }
  const { logEvents: _, ...rest } = payload;
  return { summary: { ...rest, eventCount: count }, plan: { unitId, segments, entryCount: count } };
}

/** The general way: the rules' decoded payload, planned by `planCloudWatchUnit`. */
export function planCloudWatchGeneral(
  payload: SubscriptionPayload,
  template: PathTemplate,
): { summary: PayloadSummary; plan: UnitPlan } {
  const { logEvents, ...rest } = payload;
  return {
    summary: { ...rest, eventCount: logEvents.length },
    plan: planCloudWatchUnit(payload, template),
  };
}

/** More hours than this in one payload: plan it the general way (each group holds a buffer). */
const MAX_GROUPS = 4;

interface Group {
  readonly hour: number;
  readonly firstTimestamp: number;
  /** Framed messages; as large as the envelope, which bounds what its messages decode to. */
  readonly out: Buffer;
  used: number;
  count: number;
  firstIdStart: number;
  firstIdEnd: number;
  firstIdAscii: boolean;
  lastIdStart: number;
  lastIdEnd: number;
  lastIdAscii: boolean;
}

const NO_EVENT = {} as LogEvent;

class FramingScanner extends Scanner {
  readonly groups: Group[] = [];
  count = 0;
  /** The group of the event being read (after the payload: of its last event). */
  current: Group | undefined;

  constructor(
    json: Buffer,
    readonly usesTime: boolean,
  ) {
    super(json);
  }

  override eventMessage(hasTimestamp: boolean, timestamp: number): Buffer | undefined {
    if (!hasTimestamp) throw FALLBACK; // its hour is not known yet
    const g = this.groupOf(timestamp);
    const start = g.used;
    let o = this.messageInto(g.out, start);
    if (o === start || g.out[o - 1] !== LF) g.out[o++] = LF; // the framing rule (frame.ts)
    g.used = o;
    this.current = g;
    return undefined;
  }

  override endEvent(): LogEvent {
    const g = this.current as Group;
    const { idStart, idEnd, idAscii } = this;
    if (g.count === 0) {
      g.firstIdStart = idStart;
      g.firstIdEnd = idEnd;
      g.firstIdAscii = idAscii;
    }
    g.lastIdStart = idStart;
    g.lastIdEnd = idEnd;
    g.lastIdAscii = idAscii;
    g.count++;
    this.count++;
    return NO_EVENT;
  }

  groupOf(timestamp: number): Group {
    const hour = this.usesTime ? hourOf(timestamp) : 0;
    for (const g of this.groups) if (g.hour === hour) return g;
    if (this.groups.length === MAX_GROUPS) throw FALLBACK;
    const g: Group = {
      hour,
      firstTimestamp: timestamp,
      out: Buffer.allocUnsafe(this.buf.length),
      used: 0,
      count: 0,
      firstIdStart: 0,
      firstIdEnd: 0,
      firstIdAscii: true,
      lastIdStart: 0,
      lastIdEnd: 0,
      lastIdAscii: true,
    };
    this.groups.push(g);
    return g;
  }
}
