// Fault injection and rate limiting for the test CloudWatch Logs server.

import type { ServerResponse } from 'node:http';
import { CloudWatchLogsFault } from './cloudwatch-logs-input.js';
import type { OperationName } from './cloudwatch-logs-operations.js';
import type { RecordedRequest } from './cloudwatch-logs-server.js';

/**
 * What an injected fault answers:
 * - `ThrottlingException`: HTTP 400 `{"__type":"ThrottlingException","message":"Rate exceeded"}`, what the
 *   service sends past its TPS quota; the SDK classes it as throttling (THROTTLING_ERROR_CODES).
 * - `ServiceUnavailableException`: HTTP 500 (a server-fault error with no httpError trait in the model,
 *   so the JSON protocol default of 500 applies); the SDK retries 500/502/503/504.
 * - `InternalFailure`: HTTP 500 `{"__type":"InternalFailure"}`, the generic AWS server error, unmodelled.
 * - `BadGateway`: HTTP 502 with an HTML body, as a load balancer in front of a service would send.
 * - `ConnectionReset`: the socket is destroyed without a response (the SDK sees ECONNRESET).
 */
export type FaultKind =
  | 'ThrottlingException'
  | 'ServiceUnavailableException'
  | 'InternalFailure'
  | 'BadGateway'
  | 'ConnectionReset';

/**
 * When to inject a fault. Requests are counted per rule, over the operations it names (1-based); the rule
 * fires when any of first / every / at selects the count. Rules are checked in order; the first firing wins.
 */
export interface FaultRule {
  readonly fault: FaultKind;
  /** @default every operation */
  readonly operations?: readonly OperationName[];
  /** The first K matching requests fail. */
  readonly first?: number;
  /** Every Nth matching request fails (N, 2N, 3N, …). */
  readonly every?: number;
  /** These matching requests fail (1-based). */
  readonly at?: readonly number[];
}

/** A token bucket: `requestsPerSecond` refill, `burst` capacity (default: requestsPerSecond, at least 1). */
export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst?: number;
}

export class FaultPlan {
  private rules: { rule: FaultRule; seen: number }[] = [];

  set(rules: readonly FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, seen: 0 }));
  }

  add(rule: FaultRule): void {
    this.rules.push({ rule, seen: 0 });
  }

  /** Counts the request against every matching rule and returns the first fault that fires. */
  next(operation: string): FaultKind | undefined {
    let fired: FaultKind | undefined;
    for (const entry of this.rules) {
      const { rule } = entry;
      if (rule.operations && !rule.operations.some((op) => op === operation)) continue;
      const n = ++entry.seen;
      const fires =
        (rule.first !== undefined && n <= rule.first) ||
        (rule.every !== undefined && rule.every > 0 && n % rule.every === 0) ||
        (rule.at?.includes(n) ?? false);
      if (fires && fired === undefined) fired = rule.fault;
    }
    return fired;
  }
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { limit: RateLimit; tokens: number; atMs: number }>();

  constructor(private readonly nowMs: () => number) {}

  set(operation: OperationName, limit: RateLimit | undefined): void {
    if (limit === undefined) {
      this.buckets.delete(operation);
      return;
    }
    if (!(limit.requestsPerSecond > 0))
      throw new Error(`rate limit for ${operation}: requestsPerSecond must be > 0`);
    this.buckets.set(operation, { limit, tokens: capacity(limit), atMs: this.nowMs() });
  }

  /** Takes a token for the operation; false when the bucket is empty (the request is throttled). */
  take(operation: string): boolean {
    const bucket = this.buckets.get(operation);
    if (!bucket) return true;
    const now = this.nowMs();
    const refill = ((now - bucket.atMs) / 1000) * bucket.limit.requestsPerSecond;
    bucket.tokens = Math.min(capacity(bucket.limit), bucket.tokens + refill);
    bucket.atMs = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

function capacity(limit: RateLimit): number {
  return limit.burst ?? Math.max(1, limit.requestsPerSecond);
}

/** Answers `res` with the fault; `fail` writes a JSON 1.1 error and records it. */
export function answerFault(
  fault: FaultKind,
  res: ServerResponse,
  record: RecordedRequest,
  fail: (fault: CloudWatchLogsFault, record?: RecordedRequest) => void,
): void {
  switch (fault) {
    case 'ThrottlingException':
      fail(new CloudWatchLogsFault('ThrottlingException', 'Rate exceeded'), record);
      return;
    case 'ServiceUnavailableException':
      fail(
        new CloudWatchLogsFault('ServiceUnavailableException', 'The service is unavailable.', 500),
        record,
      );
      return;
    case 'InternalFailure':
      fail(new CloudWatchLogsFault('InternalFailure', 'An internal error occurred.', 500), record);
      return;
    case 'BadGateway': {
      const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
      record.statusCode = 502;
      record.errorType = 'BadGateway';
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    case 'ConnectionReset':
      record.errorType = 'ConnectionReset';
      res.socket?.destroy();
      return;
  }
}
