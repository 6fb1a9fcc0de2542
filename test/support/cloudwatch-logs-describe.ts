// DescribeLogStreams and DescribeLogGroups for the test CloudWatch Logs server: limit 1..50 (default 50),
// opaque nextToken, fields as in the LogStream / LogGroup shapes of @aws-sdk/client-cloudwatch-logs.

import {
  CloudWatchLogsFault,
  decodeToken,
  encodeToken,
  invalidParameter,
  RequestInput,
} from './cloudwatch-logs-input.js';
import { type CloudWatchLogsStore, logGroupArn, type StoredLogStream } from './cloudwatch-logs-store.js';

const DESCRIBE_MAX = 50;

function page<T>(
  kind: string,
  items: readonly T[],
  offsetToken: string | undefined,
  limit: number,
  key: string,
) {
  let offset = 0;
  if (offsetToken !== undefined) {
    const state = decodeToken(kind, offsetToken);
    if (state.q !== key || typeof state.o !== 'number')
      throw invalidParameter('The specified nextToken is invalid.');
    offset = state.o;
  }
  const slice = items.slice(offset, offset + limit);
  const end = offset + slice.length;
  return {
    slice,
    ...(end < items.length ? { nextToken: encodeToken(kind, { q: key, o: end }) } : {}),
  };
}

export function describeLogStreams(store: CloudWatchLogsStore, body: Record<string, unknown>) {
  const input = new RequestInput(body);
  const logGroupName = input.logGroupName();
  const prefix = input.string('logStreamNamePrefix');
  const orderBy = input.string('orderBy') ?? 'LogStreamName';
  const descending = input.boolean('descending') ?? false;
  const limit = input.limit(1, DESCRIBE_MAX) ?? DESCRIBE_MAX;
  const token = input.string('nextToken');
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
    throw invalidParameter(
      `1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`,
    );
  }
  if (orderBy === 'LastEventTime' && prefix !== undefined) {
    throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
  }
  const group = store.groups.get(logGroupName);
  if (!group)
    throw new CloudWatchLogsFault('ResourceNotFoundException', 'The specified log group does not exist.');

  const lastTime = (s: StoredLogStream) => s.events.at(-1)?.timestamp ?? 0;
  const streams = [...group.streams.values()]
    .filter((s) => prefix === undefined || s.logStreamName.startsWith(prefix))
    .sort((a, b) =>
      orderBy === 'LogStreamName'
        ? a.logStreamName < b.logStreamName
          ? -1
          : a.logStreamName > b.logStreamName
            ? 1
            : 0
        : lastTime(a) - lastTime(b),
    );
  if (descending) streams.reverse();
  const { slice, ...rest } = page(
    'DescribeLogStreams',
    streams,
    token,
    limit,
    JSON.stringify([logGroupName, prefix, orderBy, descending]),
  );
  return {
    logStreams: slice.map((s) => ({
      logStreamName: s.logStreamName,
      creationTime: s.creationTime,
      ...(s.events.length === 0
        ? {}
        : {
            firstEventTimestamp: s.events[0]?.timestamp,
            lastEventTimestamp: s.events.at(-1)?.timestamp,
            lastIngestionTime: Math.max(...s.events.map((e) => e.ingestionTime)),
          }),
      arn: `${logGroupArn(logGroupName)}:log-stream:${s.logStreamName}`,
      storedBytes: 0,
    })),
    ...rest,
  };
}

export function describeLogGroups(store: CloudWatchLogsStore, body: Record<string, unknown>) {
  const input = new RequestInput(body);
  const prefix = input.string('logGroupNamePrefix');
  const limit = input.limit(1, DESCRIBE_MAX) ?? DESCRIBE_MAX;
  const token = input.string('nextToken');
  const groups = [...store.groups.values()]
    .filter((g) => prefix === undefined || g.logGroupName.startsWith(prefix))
    .sort((a, b) => (a.logGroupName < b.logGroupName ? -1 : a.logGroupName > b.logGroupName ? 1 : 0));
  const { slice, ...rest } = page('DescribeLogGroups', groups, token, limit, JSON.stringify([prefix]));
  return {
    logGroups: slice.map((g) => ({
      logGroupName: g.logGroupName,
      creationTime: g.creationTime,
      metricFilterCount: 0,
      arn: `${logGroupArn(g.logGroupName)}:*`,
      logGroupArn: logGroupArn(g.logGroupName),
      storedBytes: 0,
      logGroupClass: 'STANDARD',
    })),
    ...rest,
  };
}
