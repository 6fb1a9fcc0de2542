// GetLogEvents for the test CloudWatch Logs server. Semantics from the API reference (TSDoc of
// @aws-sdk/client-cloudwatch-logs GetLogEventsRequest / GetLogEventsResponse):
// - startTime inclusive, endTime EXCLUSIVE ("Events with a timestamp equal to or later than this time are
//   not included");
// - startFromHead defaults to false: without a token the latest events come first;
// - nextForwardToken and nextBackwardToken are always returned, and "if you have reached the end of the
//   stream, it returns the same token you passed in".
// Tokens look like the real ones, `f/<56 digits>/<n>`: the id of the event before the boundary (or zeros),
// and a page counter so that an empty page in the middle (pageEventLimit) is told apart from the end.

import {
  CloudWatchLogsFault,
  constraintViolation,
  invalidParameter,
  RequestInput,
} from './cloudwatch-logs-input.js';
import { fillPage, type PagingOptions, pageCap, range, requireGroup } from './cloudwatch-logs-paging.js';
import {
  type CloudWatchLogsStore,
  lowerBoundTime,
  type StoredLogEvent,
  upperBound,
} from './cloudwatch-logs-store.js';

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
