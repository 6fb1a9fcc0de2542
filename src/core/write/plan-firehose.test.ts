import { describe, expect, it } from 'vitest';
import type { FirehoseRecord } from '../decode/firehose-request-records.js';
import { compilePathTemplate, DEFAULT_PATH_TEMPLATE } from '../layout/path-template.js';
import {
  deliveryStreamNameOf,
  parseFirehoseObjectName,
  planFirehoseObject,
  planFirehoseRequest,
} from './plan-firehose.js';
import { planCloudWatchUnit, unitIdOf } from './plan-segments.js';

const template = compilePathTemplate(DEFAULT_PATH_TEMPLATE);
const T = Date.UTC(2025, 7, 6, 14, 59, 59, 500);
const raw = (s: string): FirehoseRecord => ({ kind: 'raw', bytes: Buffer.from(s) });
const cwl = (
  messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE',
  events: [number, string][],
): FirehoseRecord => ({
  kind: 'cloudwatch',
  payload: {
    messageType,
    owner: '123456789012',
    logGroup: 'api-access',
    logStream: 'stream',
    subscriptionFilters: ['f'],
    logEvents: events.map(([timestamp, m], i) => ({ id: String(i), timestamp, message: Buffer.from(m) })),
  },
});

describe('planFirehoseRequest', () => {
  it('is one unit named by the request id alone, routed to the request hour under the configured log group', () => {
    const plan = planFirehoseRequest('req-1', T, [raw('a'), raw('b\n'), raw('')], template, {
      logGroup: 'api-access',
      source: 'amazon-apigateway-x',
    });
    expect(plan.unitId).toBe(unitIdOf('firehose', ['req-1']));
    expect(plan.segments).toHaveLength(1);
    expect(plan.segments[0]?.relPath).toBe('api-access/2025/08/06/14.log');
    expect(plan.segments[0]?.bytes.toString()).toBe('a\nb\n\n');
    expect(plan.segments[0]?.name).toBe(`00${T}~${plan.unitId}.seg`);
  });

  it('plans the same names and bytes for a retry (same request id)', () => {
    const a = planFirehoseRequest('req-1', T, [raw('x')], template, { logGroup: 'g' });
    expect(planFirehoseRequest('req-1', T, [raw('x')], template, { logGroup: 'g' })).toEqual(a);
    expect(planFirehoseRequest('req-2', T, [raw('x')], template, { logGroup: 'g' }).unitId).not.toBe(
      a.unitId,
    );
  });

  it('defaults the log group to the delivery stream name', () => {
    const plan = planFirehoseRequest('r', T, [raw('x')], template, { source: 'amazon-apigateway-s' });
    expect(plan.segments[0]?.relPath).toBe('amazon-apigateway-s/2025/08/06/14.log');
  });

  it('unwraps CloudWatch payloads by their own log group and event hours, skipping control messages', () => {
    const next = T + 1000;
    const plan = planFirehoseRequest(
      'r',
      T,
      [
        raw('direct'),
        cwl('DATA_MESSAGE', [
          [T, 'e1'],
          [next, 'e2'],
        ]),
        cwl('CONTROL_MESSAGE', []),
        raw('direct2'),
      ],
      template,
      { logGroup: 'api-access' },
    );
    expect(plan.entryCount).toBe(4);
    const segs = plan.segments.map((s) => [
      s.relPath,
      s.bytes.toString(),
      s.meta?.firstEventId,
      s.meta?.lastEventId,
    ]);
    // Direct records: one segment of the request, in request order. The payload: planned as the
    // CloudWatch path plans it, one segment per hour, each described by its event-id range.
    expect(segs).toEqual([
      ['api-access/2025/08/06/14.log', 'direct\ndirect2\n', undefined, undefined],
      ['api-access/2025/08/06/14.log', 'e1\n', '0', '0'],
      ['api-access/2025/08/06/15.log', 'e2\n', '1', '1'],
    ]);
    expect(new Set(plan.segments.map((s) => s.name)).size).toBe(3);
  });

  it('plans a CloudWatch payload under the same names, bytes and descriptions as the CloudWatch path', () => {
    const payload = cwl('DATA_MESSAGE', [
      [T, 'e1'],
      [T + 1, 'e2'],
    ]);
    if (payload.kind !== 'cloudwatch') throw new Error('unreachable');
    const viaFirehose = planFirehoseRequest('r', T, [payload], template, { logGroup: 'ignored' });
    expect(viaFirehose.segments).toEqual(planCloudWatchUnit(payload.payload, template).segments);
    expect(viaFirehose.segments[0]?.meta).toEqual({
      v: 1,
      logGroup: 'api-access',
      logStream: 'stream',
      firstEventId: '0',
      lastEventId: '1',
      eventCount: 2,
    });
    // The same payload twice (in one request, or in a retry with another request id) lands once.
    const twice = planFirehoseRequest('r2', T, [payload, payload], template, {});
    expect(twice.segments).toEqual(viaFirehose.segments);
    expect(twice.entryCount).toBe(2);
  });

  it('puts every hour in one file when the template has no time tokens', () => {
    const flat = compilePathTemplate('{logGroup}.log');
    const plan = planFirehoseRequest(
      'r',
      T,
      [
        cwl('DATA_MESSAGE', [
          [T, 'a'],
          [T + 7_200_000, 'b'],
        ]),
      ],
      flat,
      {},
    );
    expect(plan.segments.map((s) => [s.relPath, s.bytes.toString()])).toEqual([['api-access.log', 'a\nb\n']]);
  });

  it('renders without a log group or source when neither is known', () => {
    expect(planFirehoseRequest('r', T, [raw('x')], template, {}).segments[0]?.relPath).toBe(
      '2025/08/06/14.log',
    );
  });

  it('plans nothing for a request with no records or only control messages', () => {
    expect(planFirehoseRequest('r', T, [], template, {}).segments).toEqual([]);
    expect(planFirehoseRequest('r', T, [cwl('CONTROL_MESSAGE', [])], template, {}).segments).toEqual([]);
  });
});

describe('planFirehoseObject', () => {
  it('keeps the object as one entry, adding a newline only when it does not end with one', () => {
    const o = { bucket: 'b', key: 'k', eTag: '"e"' };
    const plain = planFirehoseObject(o, Buffer.from('l1l2'), T, template, { logGroup: 'g' });
    expect(plain.segments[0]?.bytes.toString()).toBe('l1l2\n');
    const delimited = planFirehoseObject(o, Buffer.from('l1\nl2\n'), T, template, { logGroup: 'g' });
    expect(delimited.segments[0]?.bytes.toString()).toBe('l1\nl2\n');
  });

  it('identifies the object by bucket + key + version id, else ETag', () => {
    const plan = (o: { versionId?: string; eTag?: string }) =>
      planFirehoseObject({ bucket: 'b', key: 'k', ...o }, Buffer.from('x'), T, template, {}).unitId;
    expect(plan({ versionId: 'v1', eTag: 'e' })).toBe(plan({ versionId: 'v1', eTag: 'other' }));
    expect(plan({ versionId: 'v1' })).not.toBe(plan({ versionId: 'v2' }));
    expect(plan({ eTag: 'e1' })).not.toBe(plan({ eTag: 'e2' }));
    expect(plan({ eTag: 'v1' })).not.toBe(plan({ versionId: 'v1' }));
    expect(plan({})).toBe(plan({ eTag: '' }));
  });
});

describe('Firehose names', () => {
  it('takes the delivery stream name from the source ARN', () => {
    expect(
      deliveryStreamNameOf('arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-a'),
    ).toBe('amazon-apigateway-a');
    expect(deliveryStreamNameOf('arn:aws:s3:::bucket')).toBeUndefined();
    expect(deliveryStreamNameOf(undefined)).toBeUndefined();
  });

  it('parses the time and stream out of a Firehose object name', () => {
    const key =
      '2024/06/12/08/amazon-apigateway-my-api-2-2024-06-12-08-45-12-796e56c0-7fdf-47b7-9268-38b875bb62d2';
    expect(parseFirehoseObjectName(key)).toEqual({
      deliveryStreamName: 'amazon-apigateway-my-api',
      streamVersion: 2,
      timestampMs: Date.UTC(2024, 5, 12, 8, 45, 12),
    });
    expect(parseFirehoseObjectName(`${key}.gz`)?.timestampMs).toBe(Date.UTC(2024, 5, 12, 8, 45, 12));
  });

  it('returns undefined for names Firehose did not make or impossible dates', () => {
    expect(parseFirehoseObjectName('logs/today.log')).toBeUndefined();
    expect(
      parseFirehoseObjectName('s-1-2024-02-30-08-45-12-796e56c0-7fdf-47b7-9268-38b875bb62d2'),
    ).toBeUndefined();
    expect(
      parseFirehoseObjectName('s-1-2024-02-03-24-45-12-796e56c0-7fdf-47b7-9268-38b875bb62d2'),
    ).toBeUndefined();
  });
});
