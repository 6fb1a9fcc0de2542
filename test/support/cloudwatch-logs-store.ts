// In-memory log groups, streams and events for the test CloudWatch Logs server.
//
// Order: FilterLogEvents results "are sorted by event timestamp, the timestamp when the event was ingested
// by CloudWatch Logs, and the ID of the PutLogEvents request" (FilterLogEvents API reference, quoted in
// @aws-sdk/client-cloudwatch-logs FilterLogEventsCommand docs). We keep that order with `sequence`
// (insertion order) standing in for the PutLogEvents request id.
//
// Event ids: real ones are 56-digit decimal strings (e.g. 3671438742434921987329023357434644639341139818
// 6474717184). Generated ids here are 56 digits and increase with (timestamp, sequence), so for events seeded
// in timestamp order they increase in result order, as the real ones do.

/** An event as stored. `eventId` is what FilterLogEvents returns and subscription payloads carry as `id`. */
export interface StoredLogEvent {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
  readonly eventId: string;
  /** Insertion order; tie-breaker after timestamp and ingestionTime. */
  readonly sequence: number;
  /** UTF-8 bytes of message + 26, the per-event accounting CloudWatch Logs uses for PutLogEvents batches. */
  readonly accountedBytes: number;
}

/** What a test seeds. */
export interface SeedLogEvent {
  readonly timestamp: number;
  readonly message: string;
  /** @default timestamp (ingested at once) */
  readonly ingestionTime?: number;
  /** @default a generated 56-digit id; give one to match a subscription payload's `id` */
  readonly eventId?: string;
}

export interface StoredLogStream {
  readonly logStreamName: string;
  readonly creationTime: number;
  /** Sorted by compareEvents. */
  readonly events: StoredLogEvent[];
}

export interface StoredLogGroup {
  readonly logGroupName: string;
  readonly creationTime: number;
  readonly streams: Map<string, StoredLogStream>;
}

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
/** Per-event overhead in CloudWatch Logs size accounting (PutLogEvents API reference). */
export const EVENT_OVERHEAD_BYTES = 26;

const ID_BASE = 3n * 10n ** 55n;
const ID_TIMESTAMP_FACTOR = 10n ** 22n;

export function compareEvents(a: StoredLogEvent, b: StoredLogEvent): number {
  return a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime || a.sequence - b.sequence;
}

export function logGroupArn(logGroupName: string): string {
  return `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${logGroupName}`;
}

/** Upper bound of `events` (sorted by compareEvents) for `key`: index of the first event ordered after key. */
export function upperBound(events: readonly StoredLogEvent[], key: StoredLogEvent): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareEvents(events[mid] as StoredLogEvent, key) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Index of the first event with timestamp >= timestamp. */
export function lowerBoundTime(events: readonly StoredLogEvent[], timestamp: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((events[mid] as StoredLogEvent).timestamp < timestamp) low = mid + 1;
    else high = mid;
  }
  return low;
}

export class CloudWatchLogsStore {
  readonly groups = new Map<string, StoredLogGroup>();
  readonly eventsById = new Map<string, StoredLogEvent>();
  private sequence = 0;
  private readonly groupEventsCache = new Map<string, StoredLogEvent[]>();

  constructor(private readonly nowMs: () => number) {}

  createLogGroup(logGroupName: string): StoredLogGroup {
    const existing = this.groups.get(logGroupName);
    if (existing) return existing;
    const group: StoredLogGroup = { logGroupName, creationTime: this.nowMs(), streams: new Map() };
    this.groups.set(logGroupName, group);
    return group;
  }

  createLogStream(logGroupName: string, logStreamName: string): StoredLogStream {
    const group = this.createLogGroup(logGroupName);
    const existing = group.streams.get(logStreamName);
    if (existing) return existing;
    const stream: StoredLogStream = { logStreamName, creationTime: this.nowMs(), events: [] };
    group.streams.set(logStreamName, stream);
    return stream;
  }

  /** Adds events (any order) to a stream, creating group and stream if needed. Returns them as stored. */
  putLogEvents(
    logGroupName: string,
    logStreamName: string,
    events: readonly SeedLogEvent[],
  ): StoredLogEvent[] {
    const stream = this.createLogStream(logGroupName, logStreamName);
    const stored = events.map((seed) => {
      const sequence = ++this.sequence;
      const eventId =
        seed.eventId ?? String(ID_BASE + BigInt(seed.timestamp) * ID_TIMESTAMP_FACTOR + BigInt(sequence));
      if (this.eventsById.has(eventId)) throw new Error(`putLogEvents: eventId ${eventId} already exists`);
      const event: StoredLogEvent = {
        logGroupName,
        logStreamName,
        timestamp: seed.timestamp,
        ingestionTime: seed.ingestionTime ?? seed.timestamp,
        message: seed.message,
        eventId,
        sequence,
        accountedBytes: Buffer.byteLength(seed.message, 'utf8') + EVENT_OVERHEAD_BYTES,
      };
      this.eventsById.set(eventId, event);
      return event;
    });
    stream.events.push(...stored);
    stream.events.sort(compareEvents);
    this.groupEventsCache.delete(logGroupName);
    return stored;
  }

  /** All events of a group across streams, sorted by compareEvents (cached until the next put). */
  groupEvents(logGroupName: string): readonly StoredLogEvent[] {
    const cached = this.groupEventsCache.get(logGroupName);
    if (cached) return cached;
    const group = this.groups.get(logGroupName);
    const all = group ? [...group.streams.values()].flatMap((stream) => stream.events) : [];
    all.sort(compareEvents);
    this.groupEventsCache.set(logGroupName, all);
    return all;
  }
}
