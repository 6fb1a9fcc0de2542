import { describe, expect, it } from 'vitest';
import { decodeS3Key, objectsOfSqsMessage } from './s3-sqs-event.js';

const message = (body: unknown) => ({
  messageId: 'm1',
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const record = (key: string, extra: object = {}) => ({
  eventName: 'ObjectCreated:Put',
  s3: { bucket: { name: 'b' }, object: { key, ...extra } },
});

describe('objectsOfSqsMessage', () => {
  it('returns every ObjectCreated record, keys form-URL-decoded', () => {
    const out = objectsOfSqsMessage(
      message({
        Records: [record('red+flower%2B%C3%A9.log', { versionId: 'v1', eTag: 'e' }), record('a/b')],
      }),
    );
    expect(out).toEqual([
      { bucket: 'b', key: 'red flower+é.log', versionId: 'v1', eTag: 'e', eventName: 'ObjectCreated:Put' },
      { bucket: 'b', key: 'a/b', versionId: undefined, eTag: undefined, eventName: 'ObjectCreated:Put' },
    ]);
  });

  it('skips the s3:TestEvent and other event types', () => {
    expect(objectsOfSqsMessage(message({ Service: 'Amazon S3', Event: 's3:TestEvent' }))).toEqual([]);
    expect(
      objectsOfSqsMessage(message({ Records: [{ ...record('k'), eventName: 'ObjectRemoved:Delete' }] })),
    ).toEqual([]);
  });

  it.each([
    ['a non-JSON body', 'nope'],
    ['no Records', { foo: 1 }],
    ['a record without eventName', { Records: [{ s3: {} }] }],
    [
      'a record without bucket',
      { Records: [{ eventName: 'ObjectCreated:Put', s3: { object: { key: 'k' } } }] },
    ],
    [
      'a record without key',
      { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' } } }] },
    ],
    ['a key with bad URL encoding', { Records: [record('%E0%A4%A')] }],
  ])('fails on %s with INPUT_INVALID_S3_NOTIFICATION', (_name, body) => {
    expect(() => objectsOfSqsMessage(message(body))).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID_S3_NOTIFICATION', unit: 'm1' }),
    );
  });

  it('decodes keys exactly once ("%2B" stays "+" after decoding, "+" becomes a space)', () => {
    expect(decodeS3Key('a%2Bb+c%25')).toBe('a+b c%');
  });
});
