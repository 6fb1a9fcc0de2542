import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { EfsinkError } from '../core/errors.js';
import { METRICS_SERVICE } from '../observability/metrics.js';
import { RECEIVER_ENV } from './receiver-env-names.js';
import { DEFAULT_MAX_QUEUED_REQUESTS } from './receiver-memory.js';
import { CONFIG_INVALID, num } from './sink-config.js';

z.config(en());

const MiB = 1024 * 1024;

/**
 * The idle timeout the `FirehoseHttpEndpointToEfs` construct gives its load balancer by default:
 * Firehose allows 3 minutes for an answer, and the ALB must not cut a connection that waits for one.
 */
export const DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS = 180;

/**
 * The receiver's keep-alive timeout for a load balancer idle timeout: longer, so the load balancer
 * always closes an idle connection first. Otherwise the ALB can send a request on a connection the
 * receiver is closing and answer 502 (Elastic Load Balancing, "Application Load Balancers":
 * "we recommend that you configure the idle timeout of your application to be larger than the idle
 * timeout configured for the load balancer"). The construct and the receiver's default both use it.
 */
export function keepAliveTimeoutSecondsFor(loadBalancerIdleTimeoutSeconds: number): number {
  return loadBalancerIdleTimeoutSeconds + 5;
}

/**
 * Settings of `efsink serve` beyond the sink's. One strict schema (unknown keys rejected), loaded
 * once at start-up from flags and environment.
 */
export const ReceiverConfigSchema = z.strictObject({
  /** @default '127.0.0.1' (loopback; the container image sets EFSINK_HOST=0.0.0.0) */
  host: z._default(z.string().check(z.minLength(1)), '127.0.0.1'),
  /** @default 8080; 0 picks a free port (tests) */
  port: z._default(z.int().check(z.minimum(0), z.maximum(65_535)), 8080),
  /**
   * Port of the Prometheus `/metrics` listener, on the same host as the main one. A separate port,
   * so a load balancer that forwards the main port never exposes the metrics; the main port answers
   * 404 for `/metrics`. @default 9464 (Prometheus' conventional exporter port); 0 when `port` is 0
   * (tests: a free port, never a clash)
   */
  metricsPort: z.optional(z.int().check(z.minimum(0), z.maximum(65_535))),
  /** Accepted `X-Amz-Firehose-Access-Key` values; more than one during a rotation. Firehose: ≤ 4096 bytes. */
  accessKeys: z
    .array(z.string().check(z.minLength(1), z.maxLength(4096)))
    .check(z.minLength(1, 'at least one access key is required')),
  /** `{logGroup}` for direct records. @default the delivery stream name from X-Amz-Firehose-Source-Arn */
  logGroup: z.optional(z.string().check(z.minLength(1))),
  /**
   * Largest request body accepted, compressed and decompressed (413 above). Firehose sends at most
   * 64 MiB of records, base64 makes that ≈ 85.4 MiB of JSON. @default 96 MiB
   */
  maxBodyBytes: z._default(z.int().check(z.minimum(1024), z.maximum(1024 * MiB)), 96 * MiB),
  /**
   * Requests read, decoded and written at once; queued requests stay unread. @default min(8, the
   * memory bound: src/config/receiver-memory.ts); a value over the bound is refused at start-up
   * (CONFIG_MEMORY_BOUND_EXCEEDED)
   */
  maxConcurrentRequests: z.optional(z.int().check(z.minimum(1), z.maximum(1024))),
  /**
   * Memory the receiver may use, for the memory bound. @default the cgroup limit
   * (/sys/fs/cgroup/memory.max, v1 memory.limit_in_bytes), else the machine's memory
   */
  memoryLimitBytes: z.optional(z.int().check(z.minimum(1024 * 1024))),
  /** Requests waiting (bodies unread, TCP back-pressure) before new ones get 503. @default 64 */
  maxQueuedRequests: z._default(z.int().check(z.minimum(0), z.maximum(100_000)), DEFAULT_MAX_QUEUED_REQUESTS),
  /** Seconds between assembly passes; 0 disables the loop (another assembler runs). @default 5 */
  assembleIntervalSeconds: z._default(z.number().check(z.minimum(0), z.maximum(3600)), 5),
  /** Whole-request deadline (slow clients get 408); Firehose itself waits 3 minutes. @default 120 */
  requestTimeoutSeconds: z._default(z.int().check(z.minimum(1), z.maximum(600)), 120),
  /**
   * How long an idle keep-alive connection stays open. Must exceed the idle timeout of the load
   * balancer in front (issue 11, item 2). @default 185 (the construct's ALB idle timeout, 180, + 5)
   */
  keepAliveTimeoutSeconds: z._default(
    z.int().check(z.minimum(1), z.maximum(4100)),
    keepAliveTimeoutSecondsFor(DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS),
  ),
  /**
   * `/healthz` answers 503 when its write-and-fsync probe under `<root>/.efsink/health/` has not
   * finished within this (an EFS mount that hangs). Below the load balancer's and the container
   * health check's 5 s timeouts, so the check reports a reason instead of timing out. @default 2
   */
  healthProbeTimeoutSeconds: z._default(z.number().check(z.minimum(0.001), z.maximum(60)), 2),
  /** How long SIGTERM waits for in-flight requests before closing connections. @default 60 */
  shutdownTimeoutSeconds: z._default(z.int().check(z.minimum(0), z.maximum(3600)), 60),
  /**
   * Seconds between EMF publications of the counters on stdout (CloudWatch's standard resolution is
   * one minute); 0 publishes only at shutdown. @default 60
   */
  emfIntervalSeconds: z._default(z.number().check(z.minimum(0), z.maximum(3600)), 60),
  /**
   * Value of the EMF `service` dimension. The Lambda paths use `efsink-<function>`; a deployment
   * with several receivers in one account and Region gives each its own, so alarms do not mix them
   * (CloudWatch dimension values: 1-1024 ASCII characters). @default 'efsink-receiver'
   */
  metricsService: z._default(
    z.string().check(z.minLength(1), z.maxLength(1024), z.regex(/^[\x20-\x7e]+$/, 'printable ASCII only')),
    METRICS_SERVICE.receiver,
  ),
});

export type ReceiverConfigInput = z.input<typeof ReceiverConfigSchema>;
export type ReceiverConfig = Readonly<
  Omit<z.output<typeof ReceiverConfigSchema>, 'accessKeys' | 'metricsPort'>
> & {
  readonly accessKeys: readonly string[];
  readonly metricsPort: number;
};

/** The conventional port of a Prometheus exporter. */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * How long a concurrency slot may be held before `/healthz` calls it stuck: the whole request must
 * arrive within the request timeout (Node answers 408 otherwise), and landing the body gets as long
 * again. With the default 120 s that is 240 s, past the 3 minutes Firehose waits for an answer, so
 * a slot held longer serves nobody.
 */
export function stuckSlotMsFor(requestTimeoutSeconds: number): number {
  return 2 * requestTimeoutSeconds * 1000;
}

/** Flag name / environment variable of each key, for messages that name what the user can fix. */
function nameOf(key: string): string {
  const flag = `--${key === 'accessKeys' ? 'access-key' : key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const env = (RECEIVER_ENV as Record<string, string>)[key === 'accessKeys' ? 'accessKey' : key];
  return env ? `${flag} (${env})` : flag;
}

/** Validates once and freezes; a bad value fails with CONFIG_INVALID naming every bad field. */
export function loadReceiverConfig(input: Record<string, unknown>): ReceiverConfig {
  const parsed = ReceiverConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${nameOf(String(i.path[0] ?? ''))}: ${i.message}`);
    throw new EfsinkError(CONFIG_INVALID, `invalid receiver configuration: ${problems.join('; ')}`);
  }
  const data = parsed.data;
  const metricsPort = data.metricsPort ?? (data.port === 0 ? 0 : DEFAULT_METRICS_PORT);
  if (metricsPort !== 0 && metricsPort === data.port) {
    throw new EfsinkError(
      CONFIG_INVALID,
      `invalid receiver configuration: ${nameOf('metricsPort')}: ${metricsPort} is also the main port (the metrics need their own)`,
    );
  }
  return Object.freeze({ ...data, metricsPort, accessKeys: Object.freeze([...data.accessKeys]) });
}

/**
 * Reads the receiver settings from the environment; `overrides` (from flags) win. Numbers arrive as
 * text and are converted here so that zod reports a non-number as received.
 */
export function receiverConfigFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: Readonly<Record<string, unknown>> = {},
): ReceiverConfig {
  const input: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== '') input[key] = value;
  };
  set('host', env[RECEIVER_ENV.host]);
  set('port', num(env[RECEIVER_ENV.port]));
  set('metricsPort', num(env[RECEIVER_ENV.metricsPort]));
  set('healthProbeTimeoutSeconds', num(env[RECEIVER_ENV.healthProbeTimeoutSeconds]));
  const keys: unknown[] = [];
  if (env[RECEIVER_ENV.accessKey]) keys.push(env[RECEIVER_ENV.accessKey]);
  const list = env[RECEIVER_ENV.accessKeys];
  if (list) {
    try {
      const parsed: unknown = JSON.parse(list);
      if (Array.isArray(parsed)) keys.push(...parsed);
      else keys.push(list);
    } catch {
      throw new EfsinkError(CONFIG_INVALID, `${RECEIVER_ENV.accessKeys}: must be a JSON array of strings`);
    }
  }
  if (keys.length > 0) input.accessKeys = keys;
  set('logGroup', env[RECEIVER_ENV.logGroup]);
  set('maxBodyBytes', num(env[RECEIVER_ENV.maxBodyBytes]));
  set('maxConcurrentRequests', num(env[RECEIVER_ENV.maxConcurrentRequests]));
  set('memoryLimitBytes', num(env[RECEIVER_ENV.memoryLimitBytes]));
  set('maxQueuedRequests', num(env[RECEIVER_ENV.maxQueuedRequests]));
  set('assembleIntervalSeconds', num(env[RECEIVER_ENV.assembleIntervalSeconds]));
  set('requestTimeoutSeconds', num(env[RECEIVER_ENV.requestTimeoutSeconds]));
  set('shutdownTimeoutSeconds', num(env[RECEIVER_ENV.shutdownTimeoutSeconds]));
  set('keepAliveTimeoutSeconds', num(env[RECEIVER_ENV.keepAliveTimeoutSeconds]));
  set('emfIntervalSeconds', num(env[RECEIVER_ENV.emfIntervalSeconds]));
  set('metricsService', env[RECEIVER_ENV.metricsService]);
  for (const [k, v] of Object.entries(overrides)) set(k, v);
  return loadReceiverConfig(input);
}
