import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeSubscriptionEnvelope,
  encodeSubscriptionEvent,
  syntheticEventId,
} from '../encode/cloudwatch-logs.js';
import { decodeSubscriptionEnvelope } from './cloudwatch-envelope.js';
import { envelopeBytesOf } from './cloudwatch-logs.js';

/** `awslogs.data` → payload, as the receiver's unwrapping and the tests need it. */
const decodeCloudWatchLogsData = (data: string, max: number) =>
  decodeSubscriptionEnvelope(envelopeBytesOf(data, max));

const MAX = 64 * 1024 * 1024;
const base = { logGroup: '/aws/apigateway/prod', logStream: 'stream-1' };

describe('decoding awslogs.data (envelopeBytesOf, then decodeSubscriptionEnvelope)', () => {
  it('returns every message as the exact bytes sent, for any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 20 }), (messages) => {
        const logEvents = messages.map((m, i) => ({
          id: syntheticEventId(1_700_000_000_000 + i, i),
          timestamp: 1_700_000_000_000 + i,
          message: m,
        }));
        const { awslogs } = encodeSubscriptionEvent({ ...base, logEvents });
        const payload = decodeCloudWatchLogsData(awslogs.data, MAX);
        expect(payload.logEvents.map((e) => e.message)).toEqual(messages.map((m) => Buffer.from(m)));
        expect(payload.logEvents.map((e) => e.id)).toEqual(logEvents.map((e) => e.id));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a 1 MB message intact', () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    big.write('"quoted" \\ é', 100);
    const { awslogs } = encodeSubscriptionEvent({
      ...base,
      logEvents: [{ id: '1', timestamp: 1, message: big }],
    });
    expect(decodeCloudWatchLogsData(awslogs.data, MAX).logEvents[0]?.message.equals(big)).toBe(true);
  });

  it('accepts unknown extra fields such as policyLevel and extractedFields', () => {
    const env = encodeSubscriptionEnvelope({
      ...base,
      extra: { policyLevel: 'ACCOUNT_LEVEL_POLICY' },
      logEvents: [{ id: '1', timestamp: 5, message: 'hello' }],
    });
    const withExtracted = Buffer.from(
      env.toString().replace('"message":"hello"', '"message":"hello","extractedFields":{"a":"b"}'),
    );
    const p = decodeSubscriptionEnvelope(withExtracted);
    expect(p.logEvents[0]?.message.toString()).toBe('hello');
    expect(p.owner).toBe('123456789012');
  });

  it('decodes a CONTROL_MESSAGE (CloudWatch checks that the destination is reachable)', () => {
    const env = Buffer.from(
      JSON.stringify({
        messageType: 'CONTROL_MESSAGE',
        owner: 'CloudwatchLogs',
        logGroup: '',
        logStream: '',
        subscriptionFilters: [],
        logEvents: [
          {
            id: '',
            timestamp: 1432826855105,
            message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.',
          },
        ],
      }),
    );
    const p = decodeSubscriptionEnvelope(env);
    expect(p.messageType).toBe('CONTROL_MESSAGE');
    expect(p.logEvents).toEqual([]);
  });

  it.each([
    ['not base64!', 'DECODE_INVALID_BASE64'],
    [Buffer.from('not gzip').toString('base64'), 'DECODE_INVALID_GZIP'],
    [gzipSync('{"messageType":').toString('base64'), 'DECODE_INVALID_JSON'],
    [gzipSync('[1,2]').toString('base64'), 'DECODE_INVALID_ENVELOPE'],
    [gzipSync('{"messageType":"OTHER"}').toString('base64'), 'DECODE_INVALID_ENVELOPE'],
  ])('fails on bad data %# with %s', (data, code) => {
    expect(() => decodeCloudWatchLogsData(data, MAX)).toThrow(expect.objectContaining({ code }));
  });

  it('fails on a gzip bomb with DECODE_TOO_LARGE', () => {
    const data = gzipSync(Buffer.alloc(8 * 1024 * 1024, ' ')).toString('base64');
    expect(() => decodeCloudWatchLogsData(data, 1024 * 1024)).toThrow(
      expect.objectContaining({ code: 'DECODE_TOO_LARGE' }),
    );
  });

  const envelope = (over: Record<string, unknown>) =>
    Buffer.from(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: '1',
        logGroup: 'g',
        logStream: 's',
        subscriptionFilters: ['f'],
        logEvents: [{ id: '1', timestamp: 1, message: 'm' }],
        ...over,
      }),
    );

  it.each([
    [{ logGroup: '' }, 'DECODE_INVALID_ENVELOPE', 'logGroup must be a non-empty string, got ""'],
    [{ logStream: 7 }, 'DECODE_INVALID_ENVELOPE', 'logStream must be a non-empty string, got 7'],
    [{ owner: null }, 'DECODE_INVALID_ENVELOPE', 'owner must be a string'],
    [
      { subscriptionFilters: 'f' },
      'DECODE_INVALID_ENVELOPE',
      'subscriptionFilters must be an array of strings',
    ],
    [{ logEvents: {} }, 'DECODE_INVALID_ENVELOPE', 'logEvents must be an array'],
    [
      { logEvents: [{ timestamp: 1, message: 'm' }] },
      'DECODE_INVALID_EVENT',
      'logEvents[0]: id must be a non-empty string',
    ],
    [
      { logEvents: [{ id: '1', timestamp: -1, message: 'm' }] },
      'DECODE_INVALID_EVENT',
      'timestamp must be a non-negative integer',
    ],
    [{ logEvents: [{ id: '1', timestamp: 1.5, message: 'm' }] }, 'DECODE_INVALID_EVENT', 'timestamp'],
    [
      { logEvents: [{ id: '1', timestamp: 1, message: 3 }] },
      'DECODE_INVALID_EVENT',
      'message must be a string',
    ],
    [{ logEvents: [7] }, 'DECODE_INVALID_EVENT', 'logEvents[0]: must be an object'],
    [
      { logEvents: [{ id: 'x'.repeat(101), timestamp: 1, message: 'm' }] },
      'DECODE_INVALID_EVENT',
      'at most 100',
    ],
  ])('fails on envelope %j with %s', (over, code, message) => {
    expect(() => decodeSubscriptionEnvelope(envelope(over))).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining(message) }),
    );
  });
});
