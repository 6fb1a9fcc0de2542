import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSubscriptionEvent } from '../../src/core/encode/cloudwatch-logs.js';
import { isEfsinkError } from '../../src/core/errors.js';
import { ingestCloudWatchLogsEvent } from '../../src/lambda/cloudwatch-logs.js';
import { silentLogger } from '../../src/observability/logger.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { type CliResult, finished, runCli, spawnCli } from '../support/cli.js';
import {
  type CloudWatchLogsServer,
  type CloudWatchLogsServerOptions,
  createCloudWatchLogsTestClient,
  type StoredLogEvent,
  startCloudWatchLogsServer,
} from '../support/cloudwatch-logs-server.js';
import { readOutputs } from '../support/corpus.js';
import {
  actualFiles,
  expectedFiles,
  fastPacing,
  GROUP,
  HOUR,
  makeSink,
  runBackfill,
  runVerify,
  seedEvents,
  T0,
} from './backfill-support.js';

let work: string;
let server: CloudWatchLogsServer | undefined;
let client: CloudWatchLogsClient | undefined;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-backfill-'));
});
afterEach(async () => {
  client?.destroy();
  await server?.stop();
  server = undefined;
  client = undefined;
  await rm(work, { recursive: true, force: true });
});

async function start(options: CloudWatchLogsServerOptions = {}) {
  server = await startCloudWatchLogsServer(options);
  client = createCloudWatchLogsTestClient(server.endpoint);
  return { cwl: server, sdk: client };
}

const RANGE = { startMs: T0, endMs: T0 + 3 * HOUR };

describe('efsink backfill cloudwatch (real SDK against the in-repo CloudWatch Logs server)', () => {
  it('pages until nextToken is absent, through partial and empty pages, and lands every event once', async () => {
    const { cwl, sdk } = await start({
      maxEventsPerPage: 9,
      // Every third page is empty but carries a token; two empty pages trail the last event.
      pageEventLimit: (p) => (p.pageIndex % 3 === 2 ? 0 : undefined),
      trailingEmptyPages: 2,
    });
    const events = seedEvents(cwl, 3, 60, 90_000).flat();
    const report = await runBackfill(sdk, join(work, 'efs'), RANGE);
    const pages = cwl.requestCount('FilterLogEvents');
    expect(report.checkpoint).toMatchObject({
      done: true,
      eventsRead: 180,
      eventsLanded: 180,
      eventsSkipped: 0,
    });
    expect(report.checkpoint.pages).toBe(pages);
    // 180 events / 9 per page = 20 full pages, plus an empty one per two full, plus 2 trailing.
    expect(pages).toBeGreaterThanOrEqual(20 + 9 + 2);
    expect(await actualFiles(join(work, 'efs'))).toEqual(expectedFiles(events));
    const v = await runVerify(sdk, join(work, 'efs'), RANGE);
    expect(v.comparison).toMatchObject({
      missing: { count: 0 },
      extra: { count: 0 },
      duplicated: { count: 0 },
    });
    expect(v.pendingSegments).toBe(0);
  });

  it('retries throttling and 5xx with backoff and succeeds; every retry is one more request', async () => {
    const { cwl, sdk } = await start({
      maxEventsPerPage: 25,
      faults: [
        { fault: 'ThrottlingException', operations: ['FilterLogEvents'], at: [1, 2, 4] },
        { fault: 'ServiceUnavailableException', operations: ['FilterLogEvents'], at: [6] },
        { fault: 'BadGateway', operations: ['FilterLogEvents'], at: [7] },
        { fault: 'InternalFailure', operations: ['FilterLogEvents'], at: [9] },
      ],
    });
    const events = seedEvents(cwl, 2, 50, 60_000).flat();
    const reasons: string[] = [];
    const report = await runBackfill(
      sdk,
      join(work, 'efs'),
      RANGE,
      fastPacing({ onRetry: (r) => reasons.push(r.reason) }),
    );
    expect(reasons).toHaveLength(6);
    expect(reasons.filter((r) => r === 'ThrottlingException')).toHaveLength(3);
    expect(reasons.filter((r) => r.startsWith('HTTP 5'))).toHaveLength(3);
    expect(cwl.requestCount('FilterLogEvents')).toBe(report.checkpoint.pages + 6);
    expect(await actualFiles(join(work, 'efs'))).toEqual(expectedFiles(events));
  });

  it('fails with SOURCE_RETRIES_EXHAUSTED after exactly maxAttempts requests, never silently', async () => {
    const { cwl, sdk } = await start({ faults: [{ fault: 'ThrottlingException', first: 1000 }] });
    seedEvents(cwl, 1, 10, 1000);
    const err = await runBackfill(sdk, join(work, 'efs'), RANGE, fastPacing({ maxAttempts: 4 })).catch(
      (e) => e,
    );
    expect(isEfsinkError(err) && err.code).toBe('SOURCE_RETRIES_EXHAUSTED');
    expect(cwl.requestCount('FilterLogEvents')).toBe(4);
  });

  it('fails with SOURCE_REQUEST_FAILED at once on a non-retryable error (missing log group)', async () => {
    const { cwl, sdk } = await start();
    const err = await runBackfill(sdk, join(work, 'efs'), RANGE).catch((e) => e);
    expect(isEfsinkError(err) && err.code).toBe('SOURCE_REQUEST_FAILED');
    expect(err.message).toMatch(/ResourceNotFoundException/);
    expect(cwl.requestCount('FilterLogEvents')).toBe(1);
  });

  it('paces requests: never more than rate + burst requests in any one-second window (counted)', async () => {
    const { cwl, sdk } = await start({ maxEventsPerPage: 4 });
    seedEvents(cwl, 1, 120, 10_000);
    const rate = 20;
    await runBackfill(sdk, join(work, 'efs'), RANGE, fastPacing({ rate }));
    const at = cwl.requests.filter((r) => r.operation === 'FilterLogEvents').map((r) => r.receivedAtMs);
    expect(at.length).toBeGreaterThanOrEqual(30);
    let worst = 0;
    for (let i = 0; i < at.length; i++) {
      let n = 0;
      for (let j = i; j < at.length && (at[j] as number) < (at[i] as number) + 1000; j++) n++;
      worst = Math.max(worst, n);
    }
    expect(worst).toBeLessThanOrEqual(rate + 1);
  });

  it('adds no duplicate and misses nothing over a range the live path already landed (part assembled, part pending)', async () => {
    const { cwl, sdk } = await start({ maxEventsPerPage: 13 });
    const perStream = seedEvents(cwl, 3, 80, 70_000);
    const root = join(work, 'efs');
    const { config, sink } = makeSink(root);
    const deps = { config, sink, log: silentLogger, metrics: noMetrics };
    // The live path delivered contiguous runs of 6 events per stream for roughly the first half,
    // with a gap in stream-1 (a payload never delivered), redelivering one payload.
    const live = async (events: readonly StoredLogEvent[], stream: string) =>
      ingestCloudWatchLogsEvent(
        encodeSubscriptionEvent({
          logGroup: GROUP,
          logStream: stream,
          logEvents: events.map((e) => ({ id: e.eventId, timestamp: e.timestamp, message: e.message })),
        }),
        deps,
      );
    for (const [s, events] of perStream.entries()) {
      for (let i = 0; i < 42; i += 6) {
        if (s === 1 && i === 18) continue;
        await live(events.slice(i, i + 6), `stream-${s}`);
        if (i === 12) await sink.assemble(); // some of the live units assembled, the rest pending
      }
    }
    await live((perStream[0] as StoredLogEvent[]).slice(0, 6), 'stream-0');
    const report = await runBackfill(sdk, root, RANGE);
    const liveEvents = 3 * 42 - 6;
    expect(report.checkpoint.eventsSkipped).toBe(liveEvents);
    expect(report.checkpoint.eventsLanded).toBe(240 - liveEvents);
    expect(await actualFiles(root)).toEqual(expectedFiles(perStream.flat()));
    const v = await runVerify(sdk, root, RANGE);
    expect(v.comparison).toMatchObject({
      sourceLines: v.comparison.storedLines,
      missing: { count: 0 },
      extra: { count: 0 },
      duplicated: { count: 0 },
    });
    // A second backfill of the same range (fresh checkpoint name: a wider range) lands nothing.
    const again = await runBackfill(sdk, root, { startMs: RANGE.startMs - HOUR, endMs: RANGE.endMs });
    expect(again.checkpoint.eventsLanded).toBe(0);
    expect(again.checkpoint.eventsSkipped).toBe(240);
  });

  it('resumes from its checkpoint: a rerun after completion reads no page again', async () => {
    const { cwl, sdk } = await start({ maxEventsPerPage: 10 });
    seedEvents(cwl, 2, 30, 60_000);
    const root = join(work, 'efs');
    await runBackfill(sdk, root, RANGE);
    const before = cwl.requestCount('FilterLogEvents');
    const again = await runBackfill(sdk, root, RANGE);
    expect(again.resumed).toBe(true);
    expect(cwl.requestCount('FilterLogEvents')).toBe(before);
    expect(await readdir(join(root, '.efsink', 'backfill'))).toHaveLength(1);
  });
});

describe('efsink backfill cloudwatch (spawned CLI; run `npm run build` first)', () => {
  const env = {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const args = (endpoint: string, root: string) => [
    'backfill',
    'cloudwatch',
    '--log-group',
    GROUP,
    '--start',
    new Date(RANGE.startMs).toISOString(),
    '--end',
    new Date(RANGE.endMs).toISOString(),
    '--root',
    root,
    '--endpoint',
    endpoint,
    '--rate',
    '200',
    '--retry-base-ms',
    '5',
  ];

  it('converges to the same files when SIGKILLed at random moments and restarted', async () => {
    const { cwl } = await start({ maxEventsPerPage: 5 });
    seedEvents(cwl, 3, 120, 30_000);
    const reference = join(work, 'reference');
    const ok = await runCli(args(cwl.endpoint, reference), env);
    expect(ok.stdout).toMatch(/backfill complete: \d+ page/);
    expect(ok.code).toBe(0);

    const root = join(work, 'killed');
    let seed = 0x5eed;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let kills = 0;
    let finishedRun: CliResult | undefined;
    // Kill when the checkpoint has moved (so kills fall inside paging and landing, not in Node's
    // start-up) after a random extra delay; after 8 kills, let the run finish.
    const checkpoints = () => cwl.requestCount('FilterLogEvents');
    for (let attempt = 0; attempt < 20 && finishedRun === undefined; attempt++) {
      const child = spawnCli(args(cwl.endpoint, root), env);
      const done = finished(child);
      const before = checkpoints();
      const extraMs = Math.floor(random() * 60);
      const poll = setInterval(() => {
        if (attempt < 8 && checkpoints() > before) {
          clearInterval(poll);
          setTimeout(() => child.kill('SIGKILL'), extraMs);
        }
      }, 5);
      const timer = poll;
      const r = await done;
      clearInterval(timer);
      if (r.signal === 'SIGKILL') kills++;
      else finishedRun = r;
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(finishedRun?.code).toBe(0);
    const want = await readOutputs(reference);
    const got = await readOutputs(root);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [rel, bytes] of want) expect(got.get(rel)?.equals(bytes), rel).toBe(true);

    const v = await runCli(
      [...args(cwl.endpoint, root).map((a) => (a === 'backfill' ? 'verify' : a)), '--json'],
      env,
    );
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({
      ok: true,
      comparison: { sourceLines: 360 + 3 * 17 } /* 17 events per stream have an inner \n */,
    });
  });
});
