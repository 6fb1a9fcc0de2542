// Paging shared by FilterLogEvents and GetLogEvents in the test CloudWatch Logs server: a page holds at most
// `limit`, 10,000 events and 1 MB (FilterLogEvents / GetLogEvents API reference), and a test hook can make
// any page smaller or empty.

import { CloudWatchLogsFault } from './cloudwatch-logs-input.js';
import type { CloudWatchLogsStore, StoredLogEvent, StoredLogGroup } from './cloudwatch-logs-store.js';

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
  /**
   * FilterLogEvents: how many empty pages follow the page holding the last event. That page and all but the
   * final empty one carry a nextToken; the final one has none. @default 0 (the last event's page ends paging)
   */
  readonly trailingEmptyPages: number;
}

export function requireGroup(store: CloudWatchLogsStore, logGroupName: string): StoredLogGroup {
  const group = store.groups.get(logGroupName);
  if (!group)
    throw new CloudWatchLogsFault('ResourceNotFoundException', 'The specified log group does not exist.');
  return group;
}

export function pageCap(paging: PagingOptions, limit: number | undefined, page: PageContext): number {
  const hook = paging.pageEventLimit?.(page);
  return Math.max(0, Math.min(limit ?? paging.maxEventsPerPage, paging.maxEventsPerPage, hook ?? Infinity));
}

/** Takes events from `candidates` while the page has room (count and bytes; the first event always fits). */
export function fillPage(candidates: Iterator<StoredLogEvent>, cap: number, maxBytes: number) {
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

export function* range(events: readonly StoredLogEvent[], from: number, to: number, step: 1 | -1) {
  for (let i = from; step > 0 ? i < to : i >= to; i += step) yield events[i] as StoredLogEvent;
}
