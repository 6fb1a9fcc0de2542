import { describe, expect, it } from 'vitest';
import { decodeFirehoseErrorRecords, requestIdOf } from './firehose-backup.js';

// The example error record of the Firehose developer guide (HTTP endpoint destination), with the
// endpoint's answer quoted as Firehose logs it (http_troubleshooting: "The following response was
// received from the endpoint destination. 413: {\"requestId\": …}").
const example = {
  attemptsMade: 5,
  arrivalTimestamp: 1594265943615,
  errorCode: 'HttpEndpoint.DestinationException',
  errorMessage:
    'The following response was received from the endpoint destination. 413: {"requestId": "43b8e724-dbac-4510-adb7-ef211c6044b9", "timestamp": 1598556019164, "errorMessage": "Payload too large"}',
  attemptEndingTimestamp: 1594266081318,
  rawData: 'c2FtcGxlIHJhdyBkYXRh',
  subsequenceNumber: 0,
  dataId: '49607357361271740811418664280693044274821622880012337186.0',
};
const lines = (...records: unknown[]) => Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));

describe('decodeFirehoseErrorRecords', () => {
  it('decodes the documented record: original bytes, arrival time, and the request id inside the message', () => {
    const [r] = decodeFirehoseErrorRecords(lines(example), 's3://b/k');
    expect(r?.data.toString()).toBe('sample raw data');
    expect(r).toMatchObject({
      index: 0,
      arrivalTimestamp: 1594265943615,
      requestId: '43b8e724-dbac-4510-adb7-ef211c6044b9',
      dataId: example.dataId,
    });
  });

  it('reads concatenated records with or without newlines, and an empty object as none', () => {
    const two = Buffer.from(`${JSON.stringify(example)}${JSON.stringify({ ...example, rawData: '' })}`);
    expect(decodeFirehoseErrorRecords(two, 'k').map((r) => r.data.toString())).toEqual([
      'sample raw data',
      '',
    ]);
    expect(decodeFirehoseErrorRecords(Buffer.from('\n'), 'k')).toEqual([]);
  });

  it('refuses the whole object when any part is not an error record, naming it', () => {
    const bad = [
      Buffer.from('10.0.0.1 - - "GET / HTTP/1.1" 200 1\n'),
      lines(example, { ...example, rawData: 'not base64!' }),
      lines({ ...example, arrivalTimestamp: '1594265943615' }),
      lines({ ...example, errorCode: undefined }),
      lines(example, [1, 2]),
      Buffer.from(`${JSON.stringify(example)}\n{"attemptsMade":`),
    ];
    for (const b of bad) {
      expect(() => decodeFirehoseErrorRecords(b, 's3://b/k')).toThrow(
        expect.objectContaining({ code: 'INPUT_NOT_FIREHOSE_ERROR_RECORDS' }),
      );
    }
    expect(() =>
      decodeFirehoseErrorRecords(lines(example, { ...example, rawData: 'x' }), 's3://b/k'),
    ).toThrow(/s3:\/\/b\/k: not a Firehose error-record object \(record 1: .*nothing of it was landed/);
  });
});

describe('requestIdOf', () => {
  it('finds the request id of the endpoint answer quoted in an error message', () => {
    expect(requestIdOf('… destination. 500: {"requestId":"r-1","timestamp":1,"errorMessage":"x"}')).toBe(
      'r-1',
    );
    expect(
      requestIdOf('Firehose timed out waiting for a response from the endpoint destination.'),
    ).toBeUndefined();
    expect(requestIdOf(`{"requestId":"${'a'.repeat(300)}"}`)).toBeUndefined();
  });
});
