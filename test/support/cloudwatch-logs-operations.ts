// FilterLogEvents / GetLogEvents / DescribeLogStreams / DescribeLogGroups over a CloudWatchLogsStore, with
// the semantics documented in the CloudWatch Logs API reference (as shipped in the TSDoc of
// @aws-sdk/client-cloudwatch-logs models_0.d.ts):
// - FilterLogEvents: startTime and endTime are BOTH inclusive ("Events with a timestamp before this time
//   are not returned" / "...later than this time are not returned"); a page holds at most 10,000 events
//   or 1 MB and "might only be partially full, or even empty"; pagination ends only when `nextToken` is
//   absent; `startFromHead` (default true) picks the direction on the first request, the token after.
// - GetLogEvents: startTime inclusive, endTime EXCLUSIVE ("Events with a timestamp equal to or later than
//   this time are not included"); startFromHead defaults to false (latest page first); both tokens are
//   always returned, and "if you have reached the end of the stream, it returns the same token you
//   passed in".

import { describeLogGroups, describeLogStreams } from './cloudwatch-logs-describe.js';
import {
  CloudWatchLogsFault,
  constraintViolation,
  decodeToken,
  encodeToken,
  invalidParameter,
  RequestInput,
} from './cloudwatch-logs-input.js';
import {
  type CloudWatchLogsStore,
  lowerBoundTime,
  type StoredLogEvent,
  type StoredLogGroup,
  upperBound,
} from './cloudwatch-logs-store.js';

export type OperationName = 'FilterLogEvents' | 'GetLogEvents' | 'DescribeLogStreams' | 'DescribeLogGroups';
export const OPERATIONS: readonly OperationName[] = [
  'FilterLogEvents',
  'GetLogEvents',
  'DescribeLogStreams',
  'DescribeLogGroups',
];

/** Where a page sits in its pagination chain (pageIndex 0 = the request without a token). */
export interface PageContext {
  readonly operation: 'FilterLogEvents' | 'GetLogEvents';
  readonly logGroupName: string;
  readonly pageIndex: number;
}

export interface PagingOptions {
  /** Cap per page besides `limit`. @default 10,000 (the service's cap) */
  readonly maxEventsPerPage: number;
  /** Byte cap per page, counting UTF-8 message bytes + 26 per event; one event always fits. @default 1,048,576 */
  readonly maxPageBytes: number;
  /** Further cap for one page; return 0 for an empty page that still carries a token. @default none */
  readonly pageEventLimit?: ((page: PageContext) => number | undefined) | undefined;
  /** FilterLogEvents: empty pages (with nextToken) served after the last event before nextToken is dropped. @default 0 */
  readonly trailingEmptyPages: number;
}

export function requireGroup(store: CloudWatchLogsStore, logGroupName: string): StoredLogGroup {
  const group = store.groups.get(logGroupName);
  if (!group)
    throw new CloudWatchLogsFault('ResourceNotFoundException', 'The specified log group does not exist.');
  return group;
}

function pageCap(paging: PagingOptions, limit: number | undefined, page: PageContext): number {
  const hook = paging.pageEventLimit?.(page);
  return Math.max(0, Math.min(limit ?? paging.maxEventsPerPage, paging.maxEventsPerPage, hook ?? Infinity));
}

/** Takes events from `candidates` while the page has room (count and bytes; the first event always fits). */
function fillPage(candidates: Iterator<StoredLogEvent>, cap: number, maxBytes: number) {
  const taken: StoredLogEvent[] = [];
  let bytes = 0;
  let next = candidates.next();
  while (!next.done && taken.length < cap) {
    if (taken.length > 0 && bytes + next.value.accountedBytes > maxBytes) break;
    taken.push(next.value);
    bytes += next.value.accountedBytes;
    next = candidates.next();
  }
  return { taken, more: !next.done };
}

function matchesPattern(pattern: string | undefined): (message: string) => boolean {
  if (pattern === undefined || pattern.trim() === '') return () => true;
  if (/[{}[\]]/.test(pattern) || /^\s*[-?%]/.test(pattern)) {
    throw invalidParameter(
      `filterPattern "${pattern}": the test server supports only plain and quoted terms`,
    );
  }
  const terms = [...pattern.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  return (message) => terms.every((term) => message.includes(term));
}

const DESCENDING_EARLIEST_START_MS = Date.UTC(2024, 0, 1);

function* range(events: readonly StoredLogEvent[], from: number, to: number, step: 1 | -1) {
  for (let i = from; step > 0 ? i < to : i >= to; i += step) yield events[i] as StoredLogEvent;
}

export function filterLogEvents(
  store: CloudWatchLogsStore,
  body: Record<string, unknown>,
  paging: PagingOptions,
) {
  const input = new RequestInput(body);
  const logGroupName = input.logGroupName();
  const names = input.strings('logStreamNames');
  const prefix = input.string('logStreamNamePrefix');
  if (names !== undefined && prefix !== undefined) {
    throw invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
  }
  if (names !== undefined && (names.length < 1 || names.length > 100)) {
    throw constraintViolation(names, 'logStreamNames', 'Member must have length between 1 and 100');
  }
  const requestedStartTime = input.number('startTime');
  const startTime = requestedStartTime ?? Number.NEGATIVE_INFINITY;
  const endTime = input.number('endTime') ?? Number.POSITIVE_INFINITY;
  if (startTime > endTime) throw invalidParameter('endTime must be greater than or equal to startTime.');
  const limit = input.limit(1, 10_000);
  const matches = matchesPattern(input.string('filterPattern'));
  const token = input.string('nextToken');
  input.boolean('interleaved');
  input.boolean('unmask');
  requireGroup(store, logGroupName);

  const state = token === undefined ? undefined : decodeToken('FilterLogEvents', token);
  if (state !== undefined && state.g !== logGroupName)
    throw invalidParameter('The specified nextToken is invalid.');
  const ascending = state ? state.d === 'asc' : (input.boolean('startFromHead') ?? true);
  if (!ascending && state === undefined && (requestedStartTime ?? Infinity) < DESCENDING_EARLIEST_START_MS) {
    // "Setting startFromHead to false is supported only when startTime is on or after Jan 1, 2024".
    throw invalidParameter('startFromHead=false requires startTime on or after 2024-01-01T00:00:00Z.');
  }
  const pageIndex = typeof state?.p === 'number' ? state.p : 0;
  const trailingServed = typeof state?.e === 'number' ? state.e : 0;
  const cursor = typeof state?.a === 'string' ? store.eventsById.get(state.a) : undefined;
  if (typeof state?.a === 'string' && cursor === undefined)
    throw invalidParameter('The specified nextToken is invalid.');

  const streamFilter = names
    ? (event: StoredLogEvent) => names.includes(event.logStreamName)
    : (event: StoredLogEvent) => prefix === undefined || event.logStreamName.startsWith(prefix);
  const all = store.groupEvents(logGroupName);
  function* candidates(): Generator<StoredLogEvent> {
    if (ascending) {
      for (let i = cursor ? upperBound(all, cursor) : lowerBoundTime(all, startTime); i < all.length; i++) {
        const event = all[i] as StoredLogEvent;
        if (event.timestamp > endTime) return;
        if (event.timestamp >= startTime && streamFilter(event) && matches(event.message)) yield event;
      }
    } else {
      // The cursor is an event of this group, so it sits at upperBound - 1; continue just before it.
      for (let i = cursor ? upperBound(all, cursor) - 2 : lowerBoundTime(all, endTime + 1) - 1; i >= 0; i--) {
        const event = all[i] as StoredLogEvent;
        if (event.timestamp < startTime) return;
        if (event.timestamp <= endTime && streamFilter(event) && matches(event.message)) yield event;
      }
    }
  }
  const cap = pageCap(paging, limit, { operation: 'FilterLogEvents', logGroupName, pageIndex });
  const { taken, more } = fillPage(candidates(), cap, paging.maxPageBytes);
  // After the last event, `trailingEmptyPages` more pages come back empty; all but the final one carry a
  // nextToken (so the page holding the last event carries one too when trailingEmptyPages > 0).
  const emptiesServed = more ? 0 : trailingServed + (taken.length === 0 ? 1 : 0);
  const nextToken =
    more || emptiesServed < paging.trailingEmptyPages
      ? encodeToken('FilterLogEvents', {
          g: logGroupName,
          d: ascending ? 'asc' : 'desc',
          a: (taken.at(-1) ?? cursor)?.eventId ?? null,
          p: pageIndex + 1,
          e: emptiesServed,
        })
      : undefined;
  return {
    events: taken.map((e) => ({
      logStreamName: e.logStreamName,
      timestamp: e.timestamp,
      message: e.message,
      ingestionTime: e.ingestionTime,
      eventId: e.eventId,
    })),
    searchedLogStreams: [],
    ...(nextToken === undefined ? {} : { nextToken }),
  };
}

const NO_EVENT = '0'.repeat(56);

export function getLogEvents(
  store: CloudWatchLogsStore,
  body: Record<string, unknown>,
  paging: PagingOptions,
) {
  const input = new RequestInput(body);
  const logGroupName = input.logGroupName();
  const logStreamName = input.string('logStreamName');
  if (logStreamName === undefined) {
    throw constraintViolation(null, 'logStreamName', 'Member must not be null');
  }
  const startTime = input.number('startTime') ?? Number.NEGATIVE_INFINITY;
  const endTime = input.number('endTime') ?? Number.POSITIVE_INFINITY;
  const limit = input.limit(1, 10_000);
  const token = input.string('nextToken');
  const startFromHead = input.boolean('startFromHead') ?? false;
  input.boolean('unmask');
  const stream = requireGroup(store, logGroupName).streams.get(logStreamName);
  if (!stream)
    throw new CloudWatchLogsFault('ResourceNotFoundException', 'The specified log stream does not exist.');

  // The readable range [low, high) and a position p in it (a boundary between events).
  const events = stream.events;
  const low = lowerBoundTime(events, startTime);
  const high = Math.max(
    low,
    endTime === Number.POSITIVE_INFINITY ? events.length : lowerBoundTime(events, endTime),
  );
  let forward = startFromHead;
  let position = forward ? low : high;
  let pageIndex = 0;
  if (token !== undefined) {
    const match = /^([fb])\/(\d{56})\/(\d+)$/.exec(token);
    const boundary = match?.[2] === NO_EVENT ? undefined : store.eventsById.get(match?.[2] ?? '');
    if (
      !match ||
      (match[2] !== NO_EVENT && (boundary === undefined || boundary.logStreamName !== logStreamName))
    ) {
      throw invalidParameter('The specified nextToken is invalid.');
    }
    forward = match[1] === 'f';
    pageIndex = Number(match[3]);
    position = boundary === undefined ? low : Math.min(high, Math.max(low, upperBound(events, boundary)));
  }
  // A boundary is written as the id of the event just before it (or 56 zeros for "before the first").
  const tokenAt = (direction: 'f' | 'b', p: number, index: number) =>
    `${direction}/${p > 0 ? (events[p - 1] as StoredLogEvent).eventId : NO_EVENT}/${index}`;

  const cap = pageCap(paging, limit, { operation: 'GetLogEvents', logGroupName, pageIndex });
  let from: number;
  let to: number;
  if (forward) {
    const { taken } = fillPage(range(events, position, high, 1), cap, paging.maxPageBytes);
    [from, to] = [position, position + taken.length];
  } else {
    const { taken } = fillPage(range(events, position - 1, low, -1), cap, paging.maxPageBytes);
    [from, to] = [position - taken.length, position];
  }
  const atEnd = forward ? to === high : from === low;
  const next = pageIndex + 1;
  const sameIfEnd = (computed: string) => (atEnd && from === to && token !== undefined ? token : computed);
  return {
    events: events
      .slice(from, to)
      .map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
    nextForwardToken: forward ? sameIfEnd(tokenAt('f', to, next)) : tokenAt('f', to, next),
    nextBackwardToken: forward ? tokenAt('b', from, next) : sameIfEnd(tokenAt('b', from, next)),
  };
}

export function runOperation(
  store: CloudWatchLogsStore,
  operation: OperationName,
  body: Record<string, unknown>,
  paging: PagingOptions,
): unknown {
  switch (operation) {
    case 'FilterLogEvents':
      return filterLogEvents(store, body, paging);
    case 'GetLogEvents':
      return getLogEvents(store, body, paging);
    case 'DescribeLogStreams':
      return describeLogStreams(store, body);
    case 'DescribeLogGroups':
      return describeLogGroups(store, body);
  }
}
