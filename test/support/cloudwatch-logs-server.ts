// A CloudWatch Logs server for tests: node:http on 127.0.0.1, speaking the AWS JSON 1.1 protocol that
// @aws-sdk/client-cloudwatch-logs uses (AwsJson1_1Protocol in @aws-sdk/core/protocols):
//   POST /  Content-Type: application/x-amz-json-1.1  X-Amz-Target: Logs_20140328.<Operation>
//   200 + JSON body, or an error status + {"__type": "<ErrorName>", "message": "..."}.
// No CloudWatch Logs emulator exists on npm (issue #5), hence this one. It checks that requests are SigV4
// signed for service `logs` but does not verify signatures.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  answerFault,
  type FaultKind,
  FaultPlan,
  type FaultRule,
  type RateLimit,
  TokenBuckets,
} from './cloudwatch-logs-faults.js';
import { CloudWatchLogsFault } from './cloudwatch-logs-input.js';
import {
  OPERATIONS,
  type OperationName,
  type PagingOptions,
  runOperation,
} from './cloudwatch-logs-operations.js';
import { CloudWatchLogsStore, type SeedLogEvent, type StoredLogEvent } from './cloudwatch-logs-store.js';

export type { FaultKind, FaultRule, RateLimit } from './cloudwatch-logs-faults.js';
export type { OperationName, PageContext } from './cloudwatch-logs-operations.js';
export type { SeedLogEvent, StoredLogEvent } from './cloudwatch-logs-store.js';

export const TARGET_PREFIX = 'Logs_20140328.';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface CloudWatchLogsServerOptions extends Partial<PagingOptions> {
  /** Injected faults, checked in order (see FaultRule). @default none */
  readonly faults?: readonly FaultRule[];
  /** Per-operation token buckets; a request finding its bucket empty gets ThrottlingException. @default none */
  readonly rateLimits?: Partial<Record<OperationName, RateLimit>>;
  /**
   * Called for every well-formed request before faults and rate limits; may delay (return a promise) or
   * answer with a fault. A custom rate limiter goes here.
   */
  readonly beforeRequest?: (
    request: RecordedRequest,
  ) => FaultKind | undefined | Promise<FaultKind | undefined>;
  /** Clock for rate limits and creation times. @default Date.now */
  readonly nowMs?: () => number;
}

/** One request as received, and what it was answered. */
export interface RecordedRequest {
  /** 1-based, in arrival order. */
  readonly sequence: number;
  /** Operation named by X-Amz-Target (may be one the server does not know). */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly headers: IncomingHttpHeaders;
  readonly receivedAtMs: number;
  statusCode?: number;
  /** `__type` of the error answered, or the fault kind for BadGateway / ConnectionReset. */
  errorType?: string;
}

export interface CloudWatchLogsServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly store: CloudWatchLogsStore;
  /** Every request so far (see resetRequests). */
  readonly requests: readonly RecordedRequest[];
  /** Requests so far, for one operation or all. */
  requestCount(operation?: OperationName): number;
  resetRequests(): void;
  createLogGroup(logGroupName: string): void;
  createLogStream(logGroupName: string, logStreamName: string): void;
  /** Seeds events (creating group and stream as needed); returns them with their event ids. */
  putLogEvents(
    logGroupName: string,
    logStreamName: string,
    events: readonly SeedLogEvent[],
  ): StoredLogEvent[];
  /** Replaces the fault rules (counters restart). */
  setFaults(rules: readonly FaultRule[]): void;
  setRateLimit(operation: OperationName, limit: RateLimit | undefined): void;
  /** Changes paging behaviour for later requests. */
  setPaging(paging: Partial<PagingOptions>): void;
  stop(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1, port 0.
 *
 * @example
 * const cwl = await startCloudWatchLogsServer({ faults: [{ fault: 'ThrottlingException', every: 3 }] });
 * cwl.putLogEvents('/aws/apigateway/access', 'stream-a', [{ timestamp: 1_700_000_000_000, message: 'GET /' }]);
 * const client = createCloudWatchLogsTestClient(cwl.endpoint);
 * await cwl.stop();
 */
export async function startCloudWatchLogsServer(
  options: CloudWatchLogsServerOptions = {},
): Promise<CloudWatchLogsServer> {
  const nowMs = options.nowMs ?? Date.now;
  const store = new CloudWatchLogsStore(nowMs);
  let paging: PagingOptions = {
    maxEventsPerPage: options.maxEventsPerPage ?? 10_000,
    maxPageBytes: options.maxPageBytes ?? 1_048_576,
    pageEventLimit: options.pageEventLimit,
    trailingEmptyPages: options.trailingEmptyPages ?? 0,
  };
  const faults = new FaultPlan();
  faults.set(options.faults ?? []);
  const buckets = new TokenBuckets(nowMs);
  for (const operation of OPERATIONS) buckets.set(operation, options.rateLimits?.[operation]);
  let requests: RecordedRequest[] = [];
  let sequence = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const send = (statusCode: number, body: unknown, record?: RecordedRequest) => {
      const payload = JSON.stringify(body);
      if (record) {
        record.statusCode = statusCode;
        const type = (body as { __type?: unknown }).__type;
        if (typeof type === 'string') record.errorType = type;
      }
      res.writeHead(statusCode, {
        'content-type': JSON_CONTENT_TYPE,
        'content-length': Buffer.byteLength(payload),
        'x-amzn-requestid': randomUUID(),
      });
      res.end(payload);
    };
    const fail = (fault: CloudWatchLogsFault, record?: RecordedRequest) =>
      send(fault.statusCode, { __type: fault.type, message: fault.message }, record);

    const target = String(req.headers['x-amz-target'] ?? '');
    if (
      req.method !== 'POST' ||
      (req.url ?? '/').split('?')[0] !== '/' ||
      !target.startsWith(TARGET_PREFIX)
    ) {
      fail(
        new CloudWatchLogsFault(
          'UnknownOperationException',
          `No operation for ${req.method} ${req.url} ${target}`,
        ),
      );
      return;
    }
    const authorization = String(req.headers.authorization ?? '');
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ') || req.headers['x-amz-date'] === undefined) {
      fail(new CloudWatchLogsFault('MissingAuthenticationTokenException', 'Missing Authentication Token'));
      return;
    }
    if (!/Credential=[^/]+\/\d{8}\/[^/]+\/logs\/aws4_request/.test(authorization)) {
      fail(
        new CloudWatchLogsFault(
          'InvalidSignatureException',
          "Credential should be scoped to correct service: 'logs'.",
        ),
      );
      return;
    }
    if (!String(req.headers['content-type'] ?? '').startsWith(JSON_CONTENT_TYPE)) {
      fail(new CloudWatchLogsFault('SerializationException', `Content-Type must be ${JSON_CONTENT_TYPE}`));
      return;
    }
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(rawBody === '' ? '{}' : rawBody);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch {
      fail(new CloudWatchLogsFault('SerializationException', 'Request body is not a JSON object.'));
      return;
    }

    const operation = target.slice(TARGET_PREFIX.length);
    const record: RecordedRequest = {
      sequence: ++sequence,
      operation,
      input,
      headers: req.headers,
      receivedAtMs: nowMs(),
    };
    requests.push(record);

    const hooked = await options.beforeRequest?.(record);
    const fault =
      hooked ?? faults.next(operation) ?? (buckets.take(operation) ? undefined : 'ThrottlingException');
    if (fault !== undefined) {
      answerFault(fault, res, record, fail);
      return;
    }
    if (!OPERATIONS.some((known) => known === operation)) {
      fail(
        new CloudWatchLogsFault('UnknownOperationException', `Operation ${operation} is not served.`),
        record,
      );
      return;
    }
    try {
      send(200, runOperation(store, operation as OperationName, input, paging), record);
    } catch (error) {
      if (error instanceof CloudWatchLogsFault) fail(error, record);
      else fail(new CloudWatchLogsFault('InternalFailure', String(error), 500), record);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_CONTENT_TYPE });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    store,
    get requests() {
      return requests;
    },
    requestCount: (operation) =>
      requests.filter((r) => operation === undefined || r.operation === operation).length,
    resetRequests() {
      requests = [];
    },
    createLogGroup: (logGroupName) => void store.createLogGroup(logGroupName),
    createLogStream: (logGroupName, logStreamName) => void store.createLogStream(logGroupName, logStreamName),
    putLogEvents: (logGroupName, logStreamName, events) =>
      store.putLogEvents(logGroupName, logStreamName, events),
    setFaults: (rules) => faults.set(rules),
    setRateLimit: (operation, limit) => buckets.set(operation, limit),
    setPaging(changes) {
      paging = { ...paging, ...changes };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/**
 * A CloudWatch Logs client for {@link startCloudWatchLogsServer}: us-east-1, static fake credentials.
 *
 * @example
 * const client = createCloudWatchLogsTestClient(cwl.endpoint, { maxAttempts: 1 });
 */
export function createCloudWatchLogsTestClient(
  endpoint: string,
  config: { maxAttempts?: number } = {},
): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    maxAttempts: config.maxAttempts ?? 1,
  });
}
