import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeEnvelopeFast, Scanner } from '../decode/cloudwatch-logs-fast.js';
import { encodeSubscriptionEnvelope, syntheticEventId } from '../encode/cloudwatch-logs.js';
import { compilePathTemplate } from '../layout/path-template.js';
import { planCloudWatchPayload } from './plan-cloudwatch.js';
import { planCloudWatchFast } from './plan-cloudwatch-fast.js';

const TEMPLATE = compilePathTemplate('{logGroup}/{yyyy}/{MM}/{dd}/{HH}.log');
const MAX = 64 * 1024 * 1024;
const T0 = Date.UTC(2025, 7, 6, 13, 58, 0);

function data(extra: Record<string, unknown> = {}): string {
  const json = encodeSubscriptionEnvelope({
    logGroup: '/aws/apigateway/prod',
    logStream: 's1',
    logEvents: [0, 1, 2].map((i) => ({
      id: syntheticEventId(T0 + i, i),
      timestamp: T0 + i * 10_000,
      message: Buffer.from(`line ${i}`),
    })),
    extra,
  });
  return gzipSync(json).toString('base64');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('planCloudWatchPayload (the one entry point from awslogs.data to segment plans)', () => {
  it('plans the shape CloudWatch emits in one pass, scanning the envelope once', () => {
    const scans = vi.spyOn(Scanner.prototype, 'envelope');
    const { summary, plan } = planCloudWatchPayload(data(), TEMPLATE, MAX);
    expect(scans).toHaveBeenCalledTimes(1);
    expect(summary.eventCount).toBe(3);
    expect(plan.segments.map((s) => Buffer.from(s.bytes).toString())).toEqual(['line 0\nline 1\nline 2\n']);
  });

  it('falls back to the general decoder without scanning again (an unknown member in an event)', () => {
    const json = Buffer.from(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: '1',
        logGroup: 'g',
        logStream: 's',
        subscriptionFilters: ['f'],
        logEvents: [{ id: '1', timestamp: T0, message: 'm', extractedFields: {} }],
      }),
    );
    const scans = vi.spyOn(Scanner.prototype, 'envelope');
    const { plan } = planCloudWatchPayload(gzipSync(json).toString('base64'), TEMPLATE, MAX);
    expect(scans).toHaveBeenCalledTimes(1); // the fast planner's; the general decoder does not rescan
    expect(plan.segments.map((s) => Buffer.from(s.bytes).toString())).toEqual(['m\n']);
  });

  it('raises the rules’ coded error for an invalid envelope', () => {
    const bad = gzipSync('{"messageType":"DATA_MESSAGE"}').toString('base64');
    expect(() => planCloudWatchPayload(bad, TEMPLATE, MAX)).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_ENVELOPE' }),
    );
  });

  it('lets a programming error in the fast path surface instead of falling back', () => {
    // A bug (here: a TypeError from inside the scanner) must not be mistaken for "not this shape".
    vi.spyOn(Scanner.prototype, 'event').mockImplementation(() => {
      throw new TypeError('bug in the scanner');
    });
    const envelope = Buffer.from(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: '1',
        logGroup: 'g',
        logStream: 's',
        subscriptionFilters: [],
        logEvents: [{ id: '1', timestamp: T0, message: 'm' }],
      }),
    );
    expect(() => decodeEnvelopeFast(envelope)).toThrow(TypeError);
    expect(() => planCloudWatchFast(envelope, TEMPLATE)).toThrow(TypeError);
    expect(() => planCloudWatchPayload(gzipSync(envelope).toString('base64'), TEMPLATE, MAX)).toThrow(
      TypeError,
    );
  });
});
