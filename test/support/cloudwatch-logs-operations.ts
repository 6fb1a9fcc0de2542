// Operation dispatch for the test CloudWatch Logs server.

import { describeLogGroups, describeLogStreams } from './cloudwatch-logs-describe.js';
import { filterLogEvents } from './cloudwatch-logs-filter.js';
import { getLogEvents } from './cloudwatch-logs-get.js';
import type { PagingOptions } from './cloudwatch-logs-paging.js';
import type { CloudWatchLogsStore } from './cloudwatch-logs-store.js';

export type { PageContext, PagingOptions } from './cloudwatch-logs-paging.js';

export type OperationName = 'FilterLogEvents' | 'GetLogEvents' | 'DescribeLogStreams' | 'DescribeLogGroups';
export const OPERATIONS: readonly OperationName[] = [
  'FilterLogEvents',
  'GetLogEvents',
  'DescribeLogStreams',
  'DescribeLogGroups',
];

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
