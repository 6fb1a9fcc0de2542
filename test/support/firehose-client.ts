import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { encodeFirehoseRequest } from '../../src/core/decode/firehose-request.js';

/** A Firehose endpoint response body (`errorMessage` only on failures). */
export interface FirehoseResponseBody {
  readonly requestId?: string;
  readonly timestamp?: number;
  readonly errorMessage?: string;
}

export const TEST_SOURCE_ARN =
  'arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-test';

/** A request as Firehose builds it (headers per the HTTP endpoint spec, body JSON, optional gzip). */
export interface FirehoseSend {
  readonly url: string;
  readonly accessKey?: string | undefined;
  readonly requestId?: string;
  readonly timestamp?: number;
  readonly records?: readonly Uint8Array[];
  /** Raw body instead of one built from `records`. */
  readonly body?: Buffer;
  readonly gzip?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * POSTs with the real `fetch` the way Firehose does.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
export async function sendFirehose(
  s: FirehoseSend,
): Promise<{ status: number; headers: Headers; json: FirehoseResponseBody; requestId: string }> {
  const requestId = s.requestId ?? randomUUID();
  const json =
    s.body ??
    encodeFirehoseRequest({
      requestId,
      timestamp: s.timestamp ?? Date.UTC(2025, 7, 6, 14, 30),
      records: (s.records ?? []).map((r) => Buffer.from(r)),
    });
  const body = s.gzip ? gzipSync(json) : json;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Amz-Firehose-Protocol-Version': '1.0',
    'X-Amz-Firehose-Request-Id': requestId,
    'X-Amz-Firehose-Source-Arn': TEST_SOURCE_ARN,
    'User-Agent': 'Amazon Kinesis Data Firehose Agent/1.0',
    ...(s.accessKey !== undefined ? { 'X-Amz-Firehose-Access-Key': s.accessKey } : {}),
    ...(s.gzip ? { 'Content-Encoding': 'gzip' } : {}),
    ...s.headers,
  };
  const res = await fetch(s.url, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: FirehoseResponseBody;
  try {
    parsed = JSON.parse(text) as FirehoseResponseBody;
  } catch {
    parsed = { errorMessage: `not JSON: ${text}` };
  }
  return { status: res.status, headers: res.headers, json: parsed, requestId };
}

/**
 * Starts a POST whose body is sent in two halves: the first now, the second when `finish()` is
 * called — a slow client that holds a receiver slot for as long as the test wants.
 */
export function startSlowRequest(
  url: string,
  accessKey: string,
  requestId: string,
  body: Buffer,
): { finish(): void; response: Promise<{ status: number; json: FirehoseResponseBody }> } {
  const u = new URL(url);
  const half = Math.floor(body.length / 2);
  let req!: ReturnType<typeof httpRequest>;
  const response = new Promise<{ status: number; json: FirehoseResponseBody }>((resolve, reject) => {
    req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': body.length,
          'X-Amz-Firehose-Request-Id': requestId,
          'X-Amz-Firehose-Access-Key': accessKey,
          'X-Amz-Firehose-Source-Arn': TEST_SOURCE_ARN,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: FirehoseResponseBody;
          try {
            json = JSON.parse(text) as FirehoseResponseBody;
          } catch {
            json = { errorMessage: `not JSON: ${text}` };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
  });
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), response };
}
