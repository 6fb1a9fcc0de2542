// Shared by backfill.test.ts and verify.test.ts: a seeded CloudWatch Logs server, a sink, and the
// in-process backfill / verify with fast retries.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { backfillCloudWatch, type CloudWatchBackfillReport } from '../../src/backfill/backfill-cloudwatch.js';
import type { Pacing } from '../../src/backfill/cloudwatch-source.js';
import { tokenBucket } from '../../src/backfill/rate-limiter.js';
import { type VerifyCloudWatchReport, verifyCloudWatch } from '../../src/backfill/verify-cloudwatch.js';
import { loadSinkConfig, type SinkConfig } from '../../src/config/sink-config.js';
import { frameEntries } from '../../src/core/write/frame.js';
import { createSink, type Sink } from '../../src/io/sink.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { CloudWatchLogsServer, StoredLogEvent } from '../support/cloudwatch-logs-server.js';
import { readOutputs } from '../support/corpus.js';

export const GROUP = '/aws/apigateway/access';
/** 2025-08-06T13:58:00Z: events run across the 14:00 and 15:00 hour boundaries. */
export const T0 = Date.UTC(2025, 7, 6, 13, 58, 0);
export const HOUR = 3_600_000;

/** Messages with the shapes that matter: plain, ending in \n, inner \n, non-ASCII, quotes. */
export function messageOf(s: number, i: number): string {
  const base = `10.0.${s}.${i % 250} - - [06/Aug/2025] "GET /s${s}/e${i} HTTP/1.1" 200 ${i * 7} req-${s}-${i}`;
  switch (i % 7) {
    case 3:
      return `${base}\n`;
    case 4:
      return `${base} ua="Mozilla \\"x\\" ünï 😀"`;
    case 5:
      return `${base} multi\nline`;
    default:
      return base;
  }
}

/** Seeds `perStream` events in each of `streams` streams, `stepMs` apart. Returns them per stream. */
export function seedEvents(
  cwl: CloudWatchLogsServer,
  streams: number,
  perStream: number,
  stepMs: number,
): StoredLogEvent[][] {
  const out: StoredLogEvent[][] = [];
  for (let s = 0; s < streams; s++) {
    const seeds = [];
    for (let i = 0; i < perStream; i++)
      seeds.push({ timestamp: T0 + i * stepMs + s, message: messageOf(s, i) });
    out.push(cwl.putLogEvents(GROUP, `stream-${s}`, seeds));
  }
  return out;
}

export function makeSink(root: string): { config: SinkConfig; sink: Sink } {
  const config = loadSinkConfig({ root }, 'flags');
  return { config, sink: createSink(config, { log: silentLogger }) };
}

export function fastPacing(
  opts: { rate?: number; maxAttempts?: number; onRetry?: (r: { reason: string }) => void } = {},
): Pacing {
  return {
    limiter: tokenBucket(opts.rate ?? 10_000, 1),
    retry: {
      maxAttempts: opts.maxAttempts ?? 8,
      baseDelayMs: 2,
      maxDelayMs: 20,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      random: Math.random,
      ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
    },
  };
}

export function runBackfill(
  client: CloudWatchLogsClient,
  root: string,
  range: { startMs: number; endMs: number },
  pacing: Pacing = fastPacing(),
): Promise<CloudWatchBackfillReport> {
  const { config, sink } = makeSink(root);
  return backfillCloudWatch({
    logGroup: GROUP,
    ...range,
    extraValues: {},
    config,
    sink,
    client,
    pacing,
    assemble: true,
    log: silentLogger,
  });
}

export function runVerify(
  client: CloudWatchLogsClient,
  root: string,
  range: { startMs: number; endMs: number },
  partitions?: number,
): Promise<VerifyCloudWatchReport> {
  const { config, sink } = makeSink(root);
  return verifyCloudWatch({
    logGroup: GROUP,
    ...range,
    extraValues: {},
    template: config.template,
    layout: sink.layout,
    client,
    pacing: fastPacing(),
    partitions,
    maxSamples: 5,
  });
}

/** Each output file's lines (framed, split at \n), sorted, from the source events it should hold. */
export function expectedFiles(events: readonly StoredLogEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const d = new Date(e.timestamp);
    const rel = `aws/apigateway/access/${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCHours()).padStart(2, '0')}.log`;
    const list = out.get(rel) ?? [];
    list.push(...splitFramed(frameEntries([Buffer.from(e.message)])));
    out.set(rel, list);
  }
  for (const l of out.values()) l.sort();
  return out;
}

function splitFramed(bytes: Buffer): string[] {
  const t = bytes.toString('latin1');
  return t.slice(0, -1).split('\n');
}

export async function actualFiles(root: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [rel, bytes] of await readOutputs(root))
    out.set(rel.replace(/\//g, '/'), splitFramed(bytes).sort());
  return out;
}
