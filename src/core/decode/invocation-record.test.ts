import { describe, expect, it } from 'vitest';
import {
  type FoundRecord,
  invocationRecordsOf,
  invocationRecordsOfText,
  replayablePayloadOf,
} from './invocation-record.js';

// The example record of the Lambda developer guide ("Capturing records of Lambda asynchronous
// invocations"), with a CloudWatch Logs subscription event as its payload.
const record = (payload?: unknown, requestId = 'e4b46cbf-b738-xmpl-8880-a18cdf61200e') => ({
  version: '1.0',
  timestamp: '2019-11-14T18:16:05.568Z',
  requestContext: {
    requestId,
    functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  ...(payload === undefined ? {} : { requestPayload: payload }),
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorMessage: 'RequestId: e4b46cbf Process exited before completing request' },
});
const cw = { awslogs: { data: 'H4sIAAAAAAAAA6tWyk0tLk5MT1WyUlAqS8wpTVWqBQBZ3Q7kFQAAAA==' } };
const ids = (found: FoundRecord[]) => found.map((f) => (f.ok ? f.record.requestId : f.error.code));

describe('invocationRecordsOf', () => {
  it('finds the record itself and each wrapper a destination puts around it', () => {
    const r = record(cw, 'r1');
    expect(ids(invocationRecordsOf(r, 'f'))).toEqual(['r1']);
    // SQS subscribed to the SNS topic (no raw delivery): the body is the SNS envelope.
    expect(ids(invocationRecordsOf({ Type: 'Notification', Message: JSON.stringify(r) }, 'f'))).toEqual([
      'r1',
    ]);
    // A Lambda subscribed to the topic.
    const sns = { Records: [{ EventSource: 'aws:sns', Sns: { Message: JSON.stringify(record(cw, 'r2')) } }] };
    expect(ids(invocationRecordsOf(sns, 'f'))).toEqual(['r2']);
    // EventBridge: the record is `detail`.
    const eb = {
      'detail-type': 'Lambda Function Invocation Result - Failure',
      source: 'aws.lambda',
      detail: r,
    };
    expect(ids(invocationRecordsOf(eb, 'f'))).toEqual(['r1']);
    // `aws sqs receive-message` output, one body not a record.
    const cli = {
      Messages: [
        { MessageId: 'm1', Body: JSON.stringify(r) },
        { MessageId: 'm2', Body: '{"x":1}' },
      ],
    };
    const found = invocationRecordsOf(cli, 'out.json');
    expect(ids(found)).toEqual(['r1', 'INPUT_INVALID_INVOCATION_RECORD']);
    expect(found[1]).toMatchObject({ ok: false, where: 'out.json#m2' });
  });

  it('reads JSON Lines, reporting each bad line and keeping the others', () => {
    const text = `${JSON.stringify(record(cw, 'a'))}\nnot json\n\n${JSON.stringify(record(cw, 'b'))}\n`;
    const found = invocationRecordsOfText(text, 'in');
    expect(ids(found)).toEqual(['a', 'INPUT_INVALID_INVOCATION_RECORD', 'b']);
    expect(found[1]).toMatchObject({ where: 'in:2' });
    expect(ids(invocationRecordsOfText('{"requestContext":{}}', 'in'))).toEqual([
      'INPUT_INVALID_INVOCATION_RECORD',
    ]);
    expect(ids(invocationRecordsOfText('nope', 'in'))).toEqual(['INPUT_INVALID_INVOCATION_RECORD']);
  });
});

describe('replayablePayloadOf', () => {
  const only = (r: unknown) => {
    const [f] = invocationRecordsOf(r, 'f');
    if (!f?.ok) throw new Error('expected a record');
    return f.record;
  };

  it('takes a CloudWatch Logs subscription event and an SQS batch of S3 notifications', () => {
    expect(replayablePayloadOf(only(record(cw)))).toEqual({ kind: 'cloudwatch', event: cw });
    const batch = { Records: [{ eventSource: 'aws:sqs', messageId: 'm', body: '{"Records":[]}' }] };
    expect(replayablePayloadOf(only(record(batch)))).toEqual({
      kind: 's3-sqs',
      messages: [{ messageId: 'm', body: '{"Records":[]}' }],
    });
  });

  it('refuses a record without payload and a payload no efsink function takes, with their codes', () => {
    expect(() => replayablePayloadOf(only(record()))).toThrow(
      expect.objectContaining({ code: 'INPUT_INVOCATION_RECORD_NO_PAYLOAD' }),
    );
    expect(() => replayablePayloadOf(only({ ...record(), requestPayload: null }))).toThrow(
      /no requestPayload/,
    );
    for (const p of [{ detail: 1 }, 'text', [1], { Records: [{ eventSource: 'aws:s3' }] }]) {
      expect(() => replayablePayloadOf(only(record(p)))).toThrow(
        expect.objectContaining({ code: 'INPUT_UNSUPPORTED_PAYLOAD' }),
      );
    }
  });
});
