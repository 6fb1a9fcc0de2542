import {
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
  GetLogEventsCommand,
  InvalidParameterException,
  paginateFilterLogEvents,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CloudWatchLogsServer,
  type CloudWatchLogsServerOptions,
  createCloudWatchLogsTestClient,
  startCloudWatchLogsServer,
} from '../support/cloudwatch-logs-server.js';

const group = '/aws/apigateway/access-logs';
const t0 = Date.UTC(2024, 4, 1);

let server: CloudWatchLogsServer | undefined;
let client: CloudWatchLogsClient | undefined;

async function start(options: CloudWatchLogsServerOptions = {}, maxAttempts = 1) {
  server = await startCloudWatchLogsServer(options);
  client = createCloudWatchLogsTestClient(server.endpoint, { maxAttempts });
  return { cwl: server, sdk: client };
}

afterEach(async () => {
  client?.destroy();
  await server?.stop();
  server = undefined;
  client = undefined;
});

/** Seeds `count` events round-robin over `streams` streams, one ms apart, message `line <i>`. */
function seed(cwl: CloudWatchLogsServer, count: number, streams = 3, messageBytes = 0) {
  for (let s = 0; s < streams; s++) {
    const events = [];
    for (let i = s; i < count; i += streams) {
      events.push({ timestamp: t0 + i, message: `line ${i}`.padEnd(messageBytes, '.') });
    }
    cwl.putLogEvents(group, `stream-${s}`, events);
  }
}

/** The loop backfill must use: stop only when nextToken is absent. */
async function filterAll(
  sdk: CloudWatchLogsClient,
  input: Omit<ConstructorParameters<typeof FilterLogEventsCommand>[0], 'nextToken'>,
) {
  const pages: FilterLogEventsCommandOutput[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sdk.send(
      new FilterLogEventsCommand({ ...input, ...(nextToken ? { nextToken } : {}) }),
    );
    pages.push(page);
    nextToken = page.nextToken;
  } while (nextToken !== undefined && pages.length < 1_000);
  return { pages, events: pages.flatMap((p) => p.events ?? []) };
}

const messages = (events: readonly FilteredLogEvent[]) => events.map((e) => e.message);

describe('FilterLogEvents through the real SDK client', () => {
  it('pages through 25,000 events in 10,000-event pages, interleaving streams in timestamp order', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 25_000);
    const { pages, events } = await filterAll(sdk, { logGroupName: group });
    expect(pages.map((p) => p.events?.length)).toEqual([10_000, 10_000, 5_000]);
    expect(messages(events)).toEqual(Array.from({ length: 25_000 }, (_, i) => `line ${i}`));
    expect(events[1]).toMatchObject({ logStreamName: 'stream-1', timestamp: t0 + 1, ingestionTime: t0 + 1 });
    expect(pages[0]?.searchedLogStreams).toEqual([]);
  });

  it('returns 56-digit decimal event ids that increase in result order', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 500);
    const { events } = await filterAll(sdk, { logGroupName: group });
    const ids = events.map((e) => e.eventId ?? '');
    expect(ids.every((id) => /^\d{56}$/.test(id))).toBe(true);
    for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i] ?? '0') > BigInt(ids[i - 1] ?? '0')).toBe(true);
  });

  it('keeps seeded event ids, so tests can match subscription payload ids', async () => {
    const { cwl, sdk } = await start();
    const id = '37450176520345638958069893402391604213633463357913563136';
    cwl.putLogEvents(group, 's', [{ timestamp: t0, message: 'x', eventId: id }]);
    const page = await sdk.send(new FilterLogEventsCommand({ logGroupName: group }));
    expect(page.events?.[0]?.eventId).toBe(id);
  });

  it('caps a page at 1 MB (message bytes + 26 per event) and still returns every event', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 300, 2, 10_000);
    const { pages, events } = await filterAll(sdk, { logGroupName: group });
    expect(pages.map((p) => p.events?.length)).toEqual([104, 104, 92]);
    expect(events).toHaveLength(300);
  });

  it('treats startTime and endTime as inclusive', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 100);
    const { events } = await filterAll(sdk, { logGroupName: group, startTime: t0 + 10, endTime: t0 + 20 });
    expect(events.map((e) => e.timestamp)).toEqual(Array.from({ length: 11 }, (_, i) => t0 + 10 + i));
  });

  it('honours limit, logStreamNames and logStreamNamePrefix', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 30);
    const { pages, events } = await filterAll(sdk, {
      logGroupName: group,
      limit: 4,
      logStreamNames: ['stream-1'],
    });
    expect(pages.map((p) => p.events?.length)).toEqual([4, 4, 2]);
    expect(new Set(events.map((e) => e.logStreamName))).toEqual(new Set(['stream-1']));
    const byPrefix = await filterAll(sdk, { logGroupName: group, logStreamNamePrefix: 'stream-2' });
    expect(byPrefix.events).toHaveLength(10);
  });

  it('returns newest first with startFromHead=false and keeps that direction through the token', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 25);
    const { events } = await filterAll(sdk, {
      logGroupName: group,
      startFromHead: false,
      limit: 10,
      startTime: t0,
    });
    expect(events.map((e) => e.timestamp)).toEqual(Array.from({ length: 25 }, (_, i) => t0 + 24 - i));
  });

  it('serves empty and partly full pages that still carry nextToken; only the absent token ends paging', async () => {
    const shape = [0, 3, 0, 0, 7];
    const { cwl, sdk } = await start({
      pageEventLimit: ({ pageIndex }) => shape[pageIndex % shape.length],
      trailingEmptyPages: 2,
    });
    seed(cwl, 40);
    const { pages, events } = await filterAll(sdk, { logGroupName: group });
    const sizes = pages.map((p) => p.events?.length);
    expect(sizes.slice(0, 6)).toEqual([0, 3, 0, 0, 7, 0]);
    expect(pages.slice(0, -1).every((p) => p.nextToken !== undefined)).toBe(true);
    expect(sizes.slice(-3)).toEqual([7, 0, 0]);
    expect(pages.at(-1)?.nextToken).toBeUndefined();
    expect(messages(events)).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i}`));
  });

  it('orders events seeded out of order by timestamp, then ingestion time', async () => {
    const { cwl, sdk } = await start();
    cwl.putLogEvents(group, 'b', [
      { timestamp: t0 + 5, message: 'late' },
      { timestamp: t0 + 1, message: 'tie-2', ingestionTime: t0 + 9 },
    ]);
    cwl.putLogEvents(group, 'a', [
      { timestamp: t0 + 1, message: 'tie-1', ingestionTime: t0 + 2 },
      { timestamp: t0, message: 'first' },
    ]);
    const { events } = await filterAll(sdk, { logGroupName: group });
    expect(messages(events)).toEqual(['first', 'tie-1', 'tie-2', 'late']);
  });

  it('accepts the log group as logGroupIdentifier, by name or by ARN', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 4, 1);
    const arn = `arn:aws:logs:us-east-1:123456789012:log-group:${group}`;
    for (const logGroupIdentifier of [group, arn, `${arn}:*`]) {
      const page = await sdk.send(new FilterLogEventsCommand({ logGroupIdentifier }));
      expect(page.events).toHaveLength(4);
    }
  });

  it('works with the SDK paginator, which also stops only on an absent token', async () => {
    const { cwl, sdk } = await start({ pageEventLimit: ({ pageIndex }) => (pageIndex % 2 === 0 ? 0 : 50) });
    seed(cwl, 120);
    let count = 0;
    for await (const page of paginateFilterLogEvents({ client: sdk }, { logGroupName: group })) {
      count += page.events?.length ?? 0;
    }
    expect(count).toBe(120);
  });
});

describe('GetLogEvents through the real SDK client', () => {
  it('pages forward from the head and, at the end, returns the token it was given', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 25, 1);
    const seen: string[] = [];
    let token: string | undefined;
    for (let calls = 0; calls < 10; calls++) {
      const page = await sdk.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: 'stream-0',
          startFromHead: true,
          limit: 10,
          ...(token ? { nextToken: token } : {}),
        }),
      );
      seen.push(...(page.events ?? []).map((e) => e.message ?? ''));
      expect(page.nextBackwardToken).toBeDefined();
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `line ${i}`));
  });

  it('starts from the tail by default and pages backward with nextBackwardToken', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 25, 1);
    const first = await sdk.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'stream-0', limit: 10 }),
    );
    expect(first.events?.map((e) => e.message)).toEqual(
      Array.from({ length: 10 }, (_, i) => `line ${15 + i}`),
    );
    const back = await sdk.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: 'stream-0',
        limit: 10,
        ...(first.nextBackwardToken ? { nextToken: first.nextBackwardToken } : {}),
      }),
    );
    expect(back.events?.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${5 + i}`));
  });

  it('returns the backward token it was given once paging backward reaches the head', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 5, 1);
    const request = (nextToken?: string) =>
      sdk.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: 'stream-0',
          limit: 3,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    const tail = await request();
    const head = await request(tail.nextBackwardToken);
    const past = await request(head.nextBackwardToken);
    expect([tail, head, past].map((p) => p.events?.length)).toEqual([3, 2, 0]);
    expect(past.nextBackwardToken).toBe(head.nextBackwardToken);
    expect(past.nextForwardToken).toMatch(/^f\/\d{56}\/\d+$/);
  });

  it('serves an empty page in the middle with a new forward token, not the end-of-stream one', async () => {
    const { cwl, sdk } = await start({
      pageEventLimit: ({ operation, pageIndex }) => (operation === 'GetLogEvents' && pageIndex === 1 ? 0 : 2),
    });
    seed(cwl, 4, 1);
    const request = (nextToken?: string) =>
      sdk.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: 'stream-0',
          startFromHead: true,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    const first = await request();
    const empty = await request(first.nextForwardToken);
    const rest = await request(empty.nextForwardToken);
    expect([first, empty, rest].map((p) => p.events?.length)).toEqual([2, 0, 2]);
    expect(empty.nextForwardToken).not.toBe(first.nextForwardToken);
  });

  it('treats startTime as inclusive and endTime as exclusive', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 50, 1);
    const page = await sdk.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: 'stream-0',
        startFromHead: true,
        startTime: t0 + 10,
        endTime: t0 + 20,
      }),
    );
    expect(page.events?.map((e) => e.timestamp)).toEqual(Array.from({ length: 10 }, (_, i) => t0 + 10 + i));
  });

  it('fails on an unknown stream with ResourceNotFoundException', async () => {
    const { cwl, sdk } = await start();
    cwl.createLogGroup(group);
    await expect(
      sdk.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'nope' })),
    ).rejects.toThrow(ResourceNotFoundException);
  });
});

describe('validation errors as the service sends them', () => {
  it('fails an unknown log group with ResourceNotFoundException (400, client fault)', async () => {
    const { sdk } = await start();
    const error = await sdk
      .send(new FilterLogEventsCommand({ logGroupName: 'missing' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', $fault: 'client' });
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(400);
  });

  it.each([
    ['no log group', {}],
    ['both name and identifier', { logGroupName: group, logGroupIdentifier: group }],
    ['limit 0', { logGroupName: group, limit: 0 }],
    ['limit 10,001', { logGroupName: group, limit: 10_001 }],
    ['a token it did not issue', { logGroupName: group, nextToken: 'bogus' }],
    ['names and prefix together', { logGroupName: group, logStreamNames: ['a'], logStreamNamePrefix: 'a' }],
  ])('fails a FilterLogEvents request with %s with InvalidParameterException', async (_, input) => {
    const { cwl, sdk } = await start();
    cwl.createLogGroup(group);
    await expect(sdk.send(new FilterLogEventsCommand(input))).rejects.toThrow(InvalidParameterException);
  });

  it('fails an unsigned request with MissingAuthenticationTokenException', async () => {
    const { cwl } = await start();
    const response = await fetch(cwl.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Logs_20140328.DescribeLogGroups',
      },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});

describe('fault injection, rate limiting and SDK retries', () => {
  it('surfaces throttling as ThrottlingException with name and $metadata', async () => {
    const { cwl, sdk } = await start({ faults: [{ fault: 'ThrottlingException', at: [2] }] });
    cwl.createLogGroup(group);
    await sdk.send(new FilterLogEventsCommand({ logGroupName: group }));
    const error = await sdk
      .send(new FilterLogEventsCommand({ logGroupName: group }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottlingException);
    const { name, $metadata, message } = error as ThrottlingException;
    expect({ name, message }).toEqual({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect($metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
    expect($metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(cwl.requests.map((r) => r.errorType)).toEqual([undefined, 'ThrottlingException']);
  });

  it('lets the SDK retry throttling up to maxAttempts, then gives the error with the attempt count', async () => {
    const { cwl, sdk } = await start({ faults: [{ fault: 'ThrottlingException', first: 2 }] }, 3);
    seed(cwl, 5);
    const page = await sdk.send(new FilterLogEventsCommand({ logGroupName: group }));
    expect(page.events).toHaveLength(5);
    expect(page.$metadata.attempts).toBe(3);
    expect(cwl.requestCount('FilterLogEvents')).toBe(3);

    cwl.setFaults([{ fault: 'ThrottlingException', first: 3 }]);
    const error = (await sdk
      .send(new FilterLogEventsCommand({ logGroupName: group }))
      .catch((e: unknown) => e)) as ThrottlingException;
    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata.attempts).toBe(3);
  });

  it.each([
    ['ServiceUnavailableException', 500],
    ['InternalFailure', 500],
    ['BadGateway', 502],
    ['ConnectionReset', undefined],
  ] as const)('lets the SDK retry %s and then succeed', async (fault, statusCode) => {
    const { cwl, sdk } = await start({ faults: [{ fault, first: 1 }] }, 2);
    seed(cwl, 3);
    const page = await sdk.send(new FilterLogEventsCommand({ logGroupName: group }));
    expect(page.events).toHaveLength(3);
    expect(page.$metadata.attempts).toBe(2);
    expect(cwl.requests[0]?.statusCode).toBe(statusCode);
  });

  it('surfaces a 5xx without retries as ServiceUnavailableException, a server fault', async () => {
    const { sdk } = await start({ faults: [{ fault: 'ServiceUnavailableException', every: 1 }] });
    const error = await sdk.send(new DescribeLogGroupsCommand({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(error).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
  });

  it('injects every Nth request only for the operations named', async () => {
    const { cwl, sdk } = await start({
      faults: [{ fault: 'ThrottlingException', every: 3, operations: ['FilterLogEvents'] }],
    });
    cwl.createLogGroup(group);
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      await sdk.send(new DescribeLogGroupsCommand({}));
      outcomes.push(
        await sdk.send(new FilterLogEventsCommand({ logGroupName: group })).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'ok', 'ThrottlingException', 'ok', 'ok', 'ThrottlingException']);
    expect(cwl.requestCount('DescribeLogGroups')).toBe(6);
  });

  it('throttles past a token-bucket rate limit and refills with the clock', async () => {
    let now = 1_000_000;
    const { cwl, sdk } = await start({
      nowMs: () => now,
      rateLimits: { FilterLogEvents: { requestsPerSecond: 5 } },
    });
    cwl.createLogGroup(group);
    const attempt = () =>
      sdk.send(new FilterLogEventsCommand({ logGroupName: group })).then(
        () => 'ok',
        (e: Error) => e.name,
      );
    const burst = [];
    for (let i = 0; i < 7; i++) burst.push(await attempt());
    expect(burst).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ThrottlingException', 'ThrottlingException']);
    now += 200;
    expect([await attempt(), await attempt()]).toEqual(['ok', 'ThrottlingException']);
  });

  it('records each request with its input and headers, and lets a hook delay or fail it', async () => {
    const { cwl, sdk } = await start({
      beforeRequest: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return request.sequence === 2 ? 'ServiceUnavailableException' : undefined;
      },
    });
    cwl.createLogGroup(group);
    await sdk.send(new FilterLogEventsCommand({ logGroupName: group, startTime: t0, limit: 7 }));
    await sdk.send(new FilterLogEventsCommand({ logGroupName: group })).catch(() => undefined);
    const [first, second] = cwl.requests;
    expect(first).toMatchObject({
      operation: 'FilterLogEvents',
      input: { logGroupName: group, startTime: t0, limit: 7 },
      statusCode: 200,
    });
    expect(first?.headers['x-amz-target']).toBe('Logs_20140328.FilterLogEvents');
    expect(first?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(second).toMatchObject({ statusCode: 500, errorType: 'ServiceUnavailableException' });
    cwl.resetRequests();
    expect(cwl.requestCount()).toBe(0);
  });
});

describe('DescribeLogStreams and DescribeLogGroups', () => {
  it('pages log streams by name with limit and nextToken', async () => {
    const { cwl, sdk } = await start();
    seed(cwl, 10, 5);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sdk.send(
        new DescribeLogStreamsCommand({ logGroupName: group, limit: 2, ...(nextToken ? { nextToken } : {}) }),
      );
      names.push(...(page.logStreams ?? []).map((s) => s.logStreamName ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names).toEqual(['stream-0', 'stream-1', 'stream-2', 'stream-3', 'stream-4']);
    const one = await sdk.send(
      new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: 'stream-3' }),
    );
    expect(one.logStreams?.[0]).toMatchObject({ firstEventTimestamp: t0 + 3, lastEventTimestamp: t0 + 8 });
  });

  it('lists log groups by prefix', async () => {
    const { cwl, sdk } = await start();
    cwl.createLogGroup('/aws/apigateway/a');
    cwl.createLogGroup('/aws/apigateway/b');
    cwl.createLogGroup('/other');
    const page = await sdk.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/' }));
    expect(page.logGroups?.map((g) => g.logGroupName)).toEqual(['/aws/apigateway/a', '/aws/apigateway/b']);
  });
});
