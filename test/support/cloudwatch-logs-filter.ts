// FilterLogEvents for the test CloudWatch Logs server. Semantics from the API reference (TSDoc of
// @aws-sdk/client-cloudwatch-logs FilterLogEventsRequest / FilterLogEventsCommand):
// - startTime and endTime are BOTH inclusive ("Events with a timestamp before this time are not returned" /
//   "Events with a timestamp later than this time are not returned");
// - a page holds at most 10,000 events or 1 MB and "might only be partially full, or even empty";
//   pagination is finished only when the response has no nextToken;
// - results are sorted by timestamp, ingestion time, then PutLogEvents request;
// - startFromHead (default true) sets the direction on the first request; after that the token's direction
//   is used; startFromHead=false needs startTime on or after 2024-01-01.

import {
  constraintViolation,
  decodeToken,
  encodeToken,
  invalidParameter,
  RequestInput,
} from './cloudwatch-logs-input.js';
import { fillPage, type PagingOptions, pageCap, requireGroup } from './cloudwatch-logs-paging.js';
import {
  type CloudWatchLogsStore,
  lowerBoundTime,
  type StoredLogEvent,
  upperBound,
} from './cloudwatch-logs-store.js';

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
