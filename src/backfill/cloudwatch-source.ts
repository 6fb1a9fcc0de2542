import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { BackfillErrorCode, backfillError } from './errors.js';
import type { SourceEvent } from './plan-backfill.js';
import type { RateLimiter } from './rate-limiter.js';
import { type RetryOptions, sendWithRetry } from './retry.js';

export interface SourceOptions {
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * The real SDK v3 client with the standard credential chain and region resolution. Its own retries
 * are off (`maxAttempts: 1`): `sendWithRetry` paces and retries every request, so a retry also
 * waits for a rate-limit token instead of adding requests on top of the quota.
 */
export function createLogsClient(opts: SourceOptions): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({
    maxAttempts: 1,
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    ...(opts.region !== undefined ? { region: opts.region } : {}),
  });
  return withoutSdkLogging(client);
}

/**
 * Removes the SDK's logger middleware. With its default no-op logger it still copies every response
 * through the sensitive-data filter before discarding the copy: for 1 MB FilterLogEvents pages that
 * was ~7 % of backfill CPU (bench/README.md, `bench:backfill`). efsink never gives the SDK a logger.
 */
export function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

export interface FilterPage {
  readonly events: SourceEvent[];
  /** The token for the next page; absent on the last page. */
  readonly nextToken: string | undefined;
}

export interface FilterRange {
  readonly logGroupName: string;
  /** Inclusive, ms since epoch. */
  readonly startTimeMs: number;
  /** Exclusive, ms since epoch (FilterLogEvents' endTime is inclusive, so endTime = end - 1 is sent). */
  readonly endTimeMs: number;
}

export interface Pacing {
  readonly limiter: RateLimiter;
  readonly retry: RetryOptions;
}

/**
 * Reads one FilterLogEvents page. "A page … might only be partially full, or even empty" while
 * `nextToken` is still set: callers stop only when `nextToken` is absent (FilterLogEvents API
 * reference).
 */
export async function fetchFilterPage(
  client: CloudWatchLogsClient,
  range: FilterRange,
  nextToken: string | undefined,
  pacing: Pacing,
): Promise<FilterPage> {
  const out: FilterLogEventsCommandOutput = await sendWithRetry(
    `FilterLogEvents ${range.logGroupName}`,
    () =>
      client.send(
        new FilterLogEventsCommand({
          logGroupName: range.logGroupName,
          startTime: range.startTimeMs,
          endTime: range.endTimeMs - 1,
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      ),
    pacing.limiter,
    pacing.retry,
  );
  const events: SourceEvent[] = [];
  for (const [i, e] of (out.events ?? []).entries()) {
    if (
      typeof e.eventId !== 'string' ||
      typeof e.logStreamName !== 'string' ||
      typeof e.timestamp !== 'number' ||
      typeof e.message !== 'string'
    ) {
      throw backfillError(
        BackfillErrorCode.sourceFailed,
        `FilterLogEvents ${range.logGroupName}: events[${i}] lacks eventId, logStreamName, timestamp or message`,
      );
    }
    // Out-of-range events are dropped defensively: the range is the contract with verify.
    if (e.timestamp < range.startTimeMs || e.timestamp >= range.endTimeMs) continue;
    events.push({
      logStreamName: e.logStreamName,
      eventId: e.eventId,
      timestamp: e.timestamp,
      // The service returns messages as JSON strings; their UTF-8 bytes are what subscription
      // payloads carry too, so live and backfill write the same bytes.
      message: Buffer.from(e.message, 'utf8'),
    });
  }
  const token = out.nextToken === '' ? undefined : out.nextToken;
  return { events, nextToken: token };
}

/** Every log stream name of a group (DescribeLogStreams, paged until nextToken is absent). */
export async function listLogStreams(
  client: CloudWatchLogsClient,
  logGroupName: string,
  pacing: Pacing,
): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const out = await sendWithRetry(
      `DescribeLogStreams ${logGroupName}`,
      () =>
        client.send(
          new DescribeLogStreamsCommand({
            logGroupName,
            ...(token !== undefined ? { nextToken: token } : {}),
          }),
        ),
      pacing.limiter,
      pacing.retry,
    );
    for (const s of out.logStreams ?? []) if (s.logStreamName !== undefined) names.push(s.logStreamName);
    nextToken = out.nextToken === '' ? undefined : out.nextToken;
  } while (nextToken !== undefined);
  return names;
}
