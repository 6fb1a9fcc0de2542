import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSubscriptionEnvelope } from '../encode/cloudwatch-logs.js';
import { decodeFirehoseRequest, encodeFirehoseRequest, FirehoseErrorCode } from './firehose-request.js';
import { classifyFirehoseRecords, classifyFirehoseRecordsWith } from './firehose-request-records.js';
import { gunzipCapped } from './gzip.js';

const body = (o: unknown) => Buffer.from(JSON.stringify(o));
const code = (c: string) => expect.objectContaining({ code: c });

describe('decodeFirehoseRequest', () => {
  it('round-trips arbitrary records (encode∘decode = id), including empty and binary ones', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.nat({ max: 2 ** 45 }),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }),
        (requestId, timestamp, records) => {
          const request = { requestId, timestamp, records: records.map((r) => Buffer.from(r)) };
          expect(decodeFirehoseRequest(encodeFirehoseRequest(request))).toEqual(request);
        },
      ),
    );
  });

  it('ignores unknown members at the top level and in records (forward compatible)', () => {
    const r = decodeFirehoseRequest(
      body({ requestId: 'a', timestamp: 5, extra: 1, records: [{ data: 'aGk=', other: true }] }),
    );
    expect(r).toEqual({ requestId: 'a', timestamp: 5, records: [Buffer.from('hi')] });
  });

  it('accepts the largest record Firehose sends (1,000 KiB) and 10,000 records', () => {
    const big = Buffer.alloc(1_024_000, 0x41);
    const [decoded] = decodeFirehoseRequest(
      encodeFirehoseRequest({ requestId: 'r', timestamp: 1, records: [big] }),
    ).records;
    // Buffer.equals: vitest's deep equality walks a 1 MB buffer element by element (seconds).
    expect(decoded?.equals(big)).toBe(true);
    const many = Array.from({ length: 10_000 }, () => Buffer.from('x'));
    expect(
      decodeFirehoseRequest(encodeFirehoseRequest({ requestId: 'r', timestamp: 1, records: many })).records,
    ).toHaveLength(10_000);
  });

  it.each([
    ['non-JSON', Buffer.from('not json'), 'DECODE_INVALID_JSON'],
    ['trailing data', Buffer.from('{"requestId":"a","timestamp":1,"records":[]} x'), 'DECODE_INVALID_JSON'],
    ['an array body', body([]), FirehoseErrorCode.invalidRequest],
    ['a missing requestId', body({ timestamp: 1, records: [] }), FirehoseErrorCode.invalidRequest],
    [
      'an empty requestId',
      body({ requestId: '', timestamp: 1, records: [] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'a huge requestId',
      body({ requestId: 'x'.repeat(257), timestamp: 1, records: [] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'a string timestamp',
      body({ requestId: 'a', timestamp: '1', records: [] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'a fractional timestamp',
      body({ requestId: 'a', timestamp: 1.5, records: [] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'a negative timestamp',
      body({ requestId: 'a', timestamp: -1, records: [] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'records not an array',
      body({ requestId: 'a', timestamp: 1, records: {} }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'a record not an object',
      body({ requestId: 'a', timestamp: 1, records: ['aGk='] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'a record without data',
      body({ requestId: 'a', timestamp: 1, records: [{}] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'data not a string',
      body({ requestId: 'a', timestamp: 1, records: [{ data: 5 }] }),
      FirehoseErrorCode.invalidRequest,
    ],
    [
      'invalid base64',
      body({ requestId: 'a', timestamp: 1, records: [{ data: 'a!==' }] }),
      'DECODE_INVALID_BASE64',
    ],
    [
      'unpadded base64',
      body({ requestId: 'a', timestamp: 1, records: [{ data: 'aGk' }] }),
      'DECODE_INVALID_BASE64',
    ],
    [
      'non-canonical base64',
      body({ requestId: 'a', timestamp: 1, records: [{ data: 'aGl=' }] }),
      'DECODE_INVALID_BASE64',
    ],
  ])('fails on %s with its code', (_name, input, expected) => {
    expect(() => decodeFirehoseRequest(input)).toThrow(code(expected));
  });

  it('names the bad record and says what was received', () => {
    const input = body({ requestId: 'a', timestamp: 1, records: [{ data: 'aGk=' }, { data: 'a!==' }] });
    expect(() => decodeFirehoseRequest(input)).toThrow(expect.objectContaining({ unit: 'records[1]' }));
    expect(() => decodeFirehoseRequest(body({ requestId: 'a', timestamp: 'x', records: [] }))).toThrow(
      /timestamp must be a non-negative integer \(ms since epoch\), got "x"/,
    );
  });

  it('fails with DECODE_TOO_LARGE on too many records or an oversized record', () => {
    const two = encodeFirehoseRequest({
      requestId: 'a',
      timestamp: 1,
      records: [Buffer.from('a'), Buffer.from('b')],
    });
    expect(() => decodeFirehoseRequest(two, { maxRecords: 1 })).toThrow(code('DECODE_TOO_LARGE'));
    const big = encodeFirehoseRequest({ requestId: 'a', timestamp: 1, records: [Buffer.alloc(11)] });
    expect(() => decodeFirehoseRequest(big, { maxRecordBytes: 10 })).toThrow(code('DECODE_TOO_LARGE'));
    const slightly = encodeFirehoseRequest({ requestId: 'a', timestamp: 1, records: [Buffer.alloc(10)] });
    expect(() => decodeFirehoseRequest(slightly, { maxRecordBytes: 9 })).toThrow(code('DECODE_TOO_LARGE'));
  });
});

describe('classifyFirehoseRecords', () => {
  const envelope = (messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE' = 'DATA_MESSAGE') =>
    gzipSync(
      encodeSubscriptionEnvelope({
        messageType,
        logGroup: '/aws/apigw/access',
        logStream: 's1',
        logEvents: [{ id: '1', timestamp: 1000, message: Buffer.from([0xff, 0x00, 0x22]) }],
      }),
    );

  it('keeps text records as raw bytes and unwraps subscription payloads byte-exactly', () => {
    const out = classifyFirehoseRecords([Buffer.from('GET / 200'), envelope()], 1 << 20);
    expect(out[0]).toEqual({ kind: 'raw', bytes: Buffer.from('GET / 200') });
    expect(out[1]?.kind).toBe('cloudwatch');
    if (out[1]?.kind === 'cloudwatch') {
      expect(out[1].payload.logGroup).toBe('/aws/apigw/access');
      expect(out[1].payload.logEvents[0]?.message).toEqual(Buffer.from([0xff, 0x00, 0x22]));
    }
  });

  it('recognises control messages', () => {
    const [rec] = classifyFirehoseRecords([envelope('CONTROL_MESSAGE')], 1 << 20);
    expect(rec?.kind === 'cloudwatch' && rec.payload.messageType).toBe('CONTROL_MESSAGE');
  });

  it('fails when a gzip record is not a subscription payload, naming the record', () => {
    expect(() => classifyFirehoseRecords([Buffer.from('a'), gzipSync('plain')], 1 << 20)).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_JSON', unit: 'records[1]' }),
    );
    expect(() => classifyFirehoseRecords([Buffer.from([0x1f, 0x8b, 0, 1])], 1 << 20)).toThrow(
      code('DECODE_INVALID_GZIP'),
    );
    expect(() => classifyFirehoseRecords([gzipSync('{"messageType":"X"}')], 1 << 20)).toThrow(
      code('DECODE_INVALID_ENVELOPE'),
    );
  });

  it('bounds the decompressed size over the whole request (gzip bomb)', () => {
    const e = envelope();
    const size = classifyFirehoseRecords([e], 1 << 20).length;
    expect(size).toBe(1);
    expect(() => classifyFirehoseRecords([gzipSync(Buffer.alloc(10 << 20))], 1 << 20)).toThrow(
      code('DECODE_TOO_LARGE'),
    );
    const one = encodeSubscriptionEnvelope({ logGroup: 'g', logStream: 's', logEvents: [] }).length;
    expect(() => classifyFirehoseRecords([e, e, e], one)).toThrow(code('DECODE_TOO_LARGE'));
    // Exactly one payload's worth: the first fits, the second finds the budget spent.
    const exact = gunzipSync(e).length;
    expect(() => classifyFirehoseRecords([e, e], exact)).toThrow(
      expect.objectContaining({ code: 'DECODE_TOO_LARGE', unit: 'records[1]' }),
    );
  });
});

describe('classifyFirehoseRecordsWith (a caller-supplied, possibly off-loop gunzip)', () => {
  const envelope = () =>
    gzipSync(
      encodeSubscriptionEnvelope({
        logGroup: '/aws/apigw/access',
        logStream: 's1',
        logEvents: [{ id: '1', timestamp: 1000, message: Buffer.from([0xff, 0x00, 0x22]) }],
      }),
    );
  const calls: number[] = [];
  const gunzip = async (bytes: Buffer, maxBytes: number, what: string) => {
    calls.push(maxBytes);
    return gunzipCapped(bytes, maxBytes, what);
  };

  it('gives what classifyFirehoseRecords gives, passing the budget left to each gunzip', async () => {
    const records = [Buffer.from('GET / 200'), envelope(), envelope()];
    calls.length = 0;
    expect(await classifyFirehoseRecordsWith(records, 1 << 20, gunzip)).toEqual(
      classifyFirehoseRecords(records, 1 << 20),
    );
    const one = gunzipSync(envelope()).length;
    expect(calls).toEqual([1 << 20, (1 << 20) - one]);
  });

  it('fails with the same codes and units', async () => {
    await expect(
      classifyFirehoseRecordsWith([Buffer.from('a'), gzipSync('plain')], 1 << 20, gunzip),
    ).rejects.toThrow(expect.objectContaining({ code: 'DECODE_INVALID_JSON', unit: 'records[1]' }));
    await expect(
      classifyFirehoseRecordsWith([gzipSync(Buffer.alloc(2 << 20))], 1 << 20, gunzip),
    ).rejects.toThrow(expect.objectContaining({ code: 'DECODE_TOO_LARGE', unit: 'records[0]' }));
    const e = envelope();
    const exact = gunzipSync(e).length;
    await expect(classifyFirehoseRecordsWith([e, e], exact, gunzip)).rejects.toThrow(
      expect.objectContaining({ code: 'DECODE_TOO_LARGE', unit: 'records[1]' }),
    );
  });
});
