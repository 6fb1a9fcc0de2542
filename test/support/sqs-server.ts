// An Amazon SQS server for tests: node:http on 127.0.0.1, speaking the AWS JSON 1.0 protocol that
// @aws-sdk/client-sqs uses since it left the query protocol (AwsJson1_0Protocol, serviceTarget
// AmazonSQS, awsQueryCompatible):
//   POST /  Content-Type: application/x-amz-json-1.0  X-Amz-Target: AmazonSQS.<Operation>
//   200 + JSON body, or 400 + {"__type": "com.amazonaws.sqs#<Error>", "message": "..."} and the
//   `x-amzn-query-error: <QueryCode>;Sender` header the query-compatible SDK reads.
// Why in-repo: no maintained SQS emulator installs from npm or Debian (sqslite speaks only the old
// query/XML protocol on fastify 3; ElasticMQ and goaws are not packaged there; serverless-offline-sqs
// needs an external ElasticMQ). See docs/adr/0011-replay-failure-channels.md.
//
// Semantics kept from SQS (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/):
// - a received message is invisible for the visibility timeout (queue attribute, or the receive's
//   VisibilityTimeout), then visible again with ApproximateReceiveCount + 1 and a NEW receipt handle;
// - DeleteMessage needs the latest receipt handle: an older one succeeds but deletes nothing; a
//   handle the queue never issued is ReceiptHandleIsInvalid;
// - MD5OfBody / MD5OfMessageBody are the MD5 of the body (the SDK checks them);
// - long polling (WaitTimeSeconds 1–20) answers as soon as a message is visible;
// - RedrivePolicy {deadLetterTargetArn, maxReceiveCount}: a message received maxReceiveCount times
//   and not deleted moves to the dead-letter queue instead of being received again;
// - StartMessageMoveTask moves a dead-letter queue's messages back to their source queue (the
//   console's "DLQ redrive"), with the receive count reset.

import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';

export const SQS_TARGET_PREFIX = 'AmazonSQS.';
export const SQS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

export interface SqsServerOptions {
  /** Clock for visibility timeouts. @default Date.now */
  readonly nowMs?: () => number;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAtMs: number;
  receiveCount: number;
  visibleAtMs: number;
  /** The latest receipt handle; older ones no longer delete. */
  receiptHandle: string | undefined;
  /** The queue a dead-lettered message came from (for StartMessageMoveTask). */
  sourceArn: string | undefined;
}

interface Queue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  visibilityTimeoutSeconds: number;
  redrive: { deadLetterTargetArn: string; maxReceiveCount: number } | undefined;
  messages: StoredMessage[];
}

export interface SqsServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Every operation received, in order (for assertions such as "deleted only after landing"). */
  readonly operations: readonly { operation: string; input: Record<string, unknown> }[];
  /** Bodies of the messages a queue holds now (visible or not). */
  bodies(queueUrl: string): string[];
  stop(): Promise<void>;
}

class SqsFault extends Error {
  constructor(
    readonly type: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** Starts the server on 127.0.0.1, port 0. */
export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const nowMs = options.nowMs ?? Date.now;
  const queues = new Map<string, Queue>();
  const operations: { operation: string; input: Record<string, unknown> }[] = [];
  let endpoint = '';

  const byUrl = (input: Record<string, unknown>): Queue => {
    const url = input.QueueUrl;
    const name = typeof url === 'string' ? url.slice(url.lastIndexOf('/') + 1) : undefined;
    const q = name === undefined ? undefined : queues.get(name);
    if (q === undefined)
      throw new SqsFault(
        'QueueDoesNotExist',
        'AWS.SimpleQueueService.NonExistentQueue',
        'The specified queue does not exist.',
      );
    return q;
  };
  const byArn = (arn: unknown): Queue => {
    const q = [...queues.values()].find((x) => x.arn === arn);
    if (q === undefined)
      throw new SqsFault('ResourceNotFoundException', 'ResourceNotFoundException', `No queue ${String(arn)}`);
    return q;
  };
  const intIn = (v: unknown, name: string, min: number, max: number, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new SqsFault(
        'InvalidParameterValueException',
        'InvalidParameterValue',
        `Value ${String(v)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
      );
    return v;
  };
  const applyAttributes = (q: Queue, attrs: unknown) => {
    const a = (attrs ?? {}) as Record<string, unknown>;
    if (a.VisibilityTimeout !== undefined) q.visibilityTimeoutSeconds = Number(a.VisibilityTimeout);
    if (typeof a.RedrivePolicy === 'string') {
      const p = JSON.parse(a.RedrivePolicy) as {
        deadLetterTargetArn: string;
        maxReceiveCount: number | string;
      };
      q.redrive = { deadLetterTargetArn: p.deadLetterTargetArn, maxReceiveCount: Number(p.maxReceiveCount) };
    }
  };

  /** Visible messages, moving those past maxReceiveCount to the dead-letter queue first. */
  const visible = (q: Queue, now: number): StoredMessage[] => {
    if (q.redrive !== undefined) {
      const dlq = byArn(q.redrive.deadLetterTargetArn);
      const max = q.redrive.maxReceiveCount;
      const dead = q.messages.filter((m) => m.visibleAtMs <= now && m.receiveCount >= max);
      for (const m of dead) {
        q.messages = q.messages.filter((x) => x !== m);
        dlq.messages.push({ ...m, receiptHandle: undefined, visibleAtMs: now, sourceArn: q.arn });
      }
    }
    return q.messages.filter((m) => m.visibleAtMs <= now);
  };

  const run = async (operation: string, input: Record<string, unknown>): Promise<unknown> => {
    switch (operation) {
      case 'CreateQueue': {
        const name = input.QueueName;
        if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(name))
          throw new SqsFault('InvalidParameterValueException', 'InvalidParameterValue', 'Bad QueueName');
        let q = queues.get(name);
        if (q === undefined) {
          q = {
            name,
            arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
            url: `${endpoint}/${ACCOUNT}/${name}`,
            visibilityTimeoutSeconds: 30,
            redrive: undefined,
            messages: [],
          };
          queues.set(name, q);
        }
        applyAttributes(q, input.Attributes);
        return { QueueUrl: q.url };
      }
      case 'GetQueueUrl': {
        const q = queues.get(String(input.QueueName));
        if (q === undefined) return byUrl({});
        return { QueueUrl: q.url };
      }
      case 'SetQueueAttributes':
        applyAttributes(byUrl(input), input.Attributes);
        return {};
      case 'GetQueueAttributes': {
        const q = byUrl(input);
        const now = nowMs();
        const shown = visible(q, now).length;
        return {
          Attributes: {
            QueueArn: q.arn,
            VisibilityTimeout: String(q.visibilityTimeoutSeconds),
            ApproximateNumberOfMessages: String(shown),
            ApproximateNumberOfMessagesNotVisible: String(q.messages.length - shown),
            ...(q.redrive ? { RedrivePolicy: JSON.stringify(q.redrive) } : {}),
          },
        };
      }
      case 'SendMessage': {
        const q = byUrl(input);
        const body = input.MessageBody;
        if (typeof body !== 'string' || body.length === 0)
          throw new SqsFault(
            'MissingRequiredParameterException',
            'MissingParameter',
            'MessageBody is required',
          );
        if (Buffer.byteLength(body) > 1_048_576)
          throw new SqsFault('InvalidParameterValueException', 'InvalidParameterValue', 'Message too long');
        const delay = intIn(input.DelaySeconds, 'DelaySeconds', 0, 900, 0);
        const m: StoredMessage = {
          messageId: randomUUID(),
          body,
          md5: md5(body),
          sentAtMs: nowMs(),
          receiveCount: 0,
          visibleAtMs: nowMs() + delay * 1000,
          receiptHandle: undefined,
          sourceArn: undefined,
        };
        q.messages.push(m);
        return { MessageId: m.messageId, MD5OfMessageBody: m.md5 };
      }
      case 'ReceiveMessage': {
        const q = byUrl(input);
        const max = intIn(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10, 1);
        const wait = intIn(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, 20, 0);
        const vt = intIn(input.VisibilityTimeout, 'VisibilityTimeout', 0, 43_200, q.visibilityTimeoutSeconds);
        const deadline = nowMs() + wait * 1000;
        let ready = visible(q, nowMs());
        while (ready.length === 0 && nowMs() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          ready = visible(q, nowMs());
        }
        const now = nowMs();
        const picked = ready.slice(0, max);
        for (const m of picked) {
          m.receiveCount++;
          m.visibleAtMs = now + vt * 1000;
          m.receiptHandle = Buffer.from(`${q.name}\0${m.messageId}\0${randomUUID()}`).toString('base64');
        }
        if (picked.length === 0) return {};
        return {
          Messages: picked.map((m) => ({
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: m.md5,
            Body: m.body,
            Attributes: {
              ApproximateReceiveCount: String(m.receiveCount),
              SentTimestamp: String(m.sentAtMs),
              ...(m.sourceArn ? { DeadLetterQueueSourceArn: m.sourceArn } : {}),
            },
          })),
        };
      }
      case 'DeleteMessage': {
        const q = byUrl(input);
        const handle = input.ReceiptHandle;
        const [queueName, messageId] = (
          typeof handle === 'string' ? Buffer.from(handle, 'base64').toString('utf8') : ''
        ).split('\0');
        if (queueName !== q.name || messageId === undefined)
          throw new SqsFault(
            'ReceiptHandleIsInvalid',
            'ReceiptHandleIsInvalid',
            `The input receipt handle "${String(handle)}" is not a valid receipt handle.`,
          );
        // An older handle of a message received again succeeds without deleting (SQS DeleteMessage).
        q.messages = q.messages.filter((m) => !(m.messageId === messageId && m.receiptHandle === handle));
        return {};
      }
      case 'ChangeMessageVisibility': {
        const q = byUrl(input);
        const vt = intIn(input.VisibilityTimeout, 'VisibilityTimeout', 0, 43_200, 0);
        const m = q.messages.find((x) => x.receiptHandle === input.ReceiptHandle);
        if (m === undefined)
          throw new SqsFault('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 'Unknown receipt handle');
        m.visibleAtMs = nowMs() + vt * 1000;
        return {};
      }
      case 'StartMessageMoveTask': {
        const dlq = byArn(input.SourceArn);
        const moved = dlq.messages.filter((m) => m.visibleAtMs <= nowMs());
        for (const m of moved) {
          const target = byArn(input.DestinationArn ?? m.sourceArn);
          target.messages.push({
            ...m,
            receiveCount: 0,
            receiptHandle: undefined,
            visibleAtMs: nowMs(),
            sourceArn: undefined,
          });
        }
        dlq.messages = dlq.messages.filter((m) => !moved.includes(m));
        return { TaskHandle: randomUUID() };
      }
      default:
        throw new SqsFault(
          'UnsupportedOperation',
          'AWS.SimpleQueueService.UnsupportedOperation',
          `Operation ${operation} is not served.`,
        );
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown, queryError?: string) => {
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': SQS_JSON_CONTENT_TYPE,
        'content-length': Buffer.byteLength(payload),
        'x-amzn-requestid': randomUUID(),
        ...(queryError ? { 'x-amzn-query-error': `${queryError};Sender` } : {}),
      });
      res.end(payload);
    };
    const fail = (f: SqsFault) =>
      send(400, { __type: `com.amazonaws.sqs#${f.type}`, message: f.message }, f.queryCode);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith(SQS_TARGET_PREFIX)) {
      fail(new SqsFault('InvalidAction', 'InvalidAction', `No operation for ${req.method} ${target}`));
      return;
    }
    const authorization = String(req.headers.authorization ?? '');
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/sqs\/aws4_request/.test(authorization)) {
      fail(new SqsFault('InvalidSecurity', 'InvalidSecurity', 'Requests must be SigV4-signed for sqs.'));
      return;
    }
    if (!String(req.headers['content-type'] ?? '').startsWith(SQS_JSON_CONTENT_TYPE)) {
      fail(new SqsFault('InvalidAction', 'InvalidAction', `Content-Type must be ${SQS_JSON_CONTENT_TYPE}`));
      return;
    }
    let input: Record<string, unknown>;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      const parsed: unknown = JSON.parse(text === '' ? '{}' : text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch {
      fail(new SqsFault('InvalidAction', 'MalformedInput', 'Request body is not a JSON object.'));
      return;
    }
    const operation = target.slice(SQS_TARGET_PREFIX.length);
    operations.push({ operation, input });
    try {
      send(200, await run(operation, input));
    } catch (err) {
      if (err instanceof SqsFault) fail(err);
      else send(500, { __type: 'com.amazonaws.sqs#InternalError', message: String(err) }, 'InternalError');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': SQS_JSON_CONTENT_TYPE });
      res.end(JSON.stringify({ __type: 'InternalError', message: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    operations,
    bodies(queueUrl) {
      return byUrl({ QueueUrl: queueUrl }).messages.map((m) => m.body);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** Static fake credentials for {@link startSqsServer} (it checks the SigV4 scope, not the signature). */
export const SQS_TEST_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
} as const;

/** A real SDK v3 SQS client pointed at the server. */
export function createSqsTestClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: REGION, credentials: SQS_TEST_CREDENTIALS, maxAttempts: 1 });
}
