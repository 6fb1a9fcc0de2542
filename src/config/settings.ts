import { isAbsolute } from 'node:path';
import type * as Z from 'zod/mini';

/**
 * The zod/mini functions the schemas below use, handed to them by settings-resolve.ts. A named
 * subset rather than the namespace: passing the whole namespace as a value would defeat
 * tree-shaking and put all of zod in the Lambda bundles (test/integration/lambda-bundle.test.ts).
 */
export type ZodApi = Pick<
  typeof Z,
  | 'array'
  | 'boolean'
  | 'enum'
  | 'int'
  | 'maximum'
  | 'maxLength'
  | 'minimum'
  | 'minLength'
  | 'number'
  | 'positive'
  | 'refine'
  | 'regex'
  | 'string'
  | 'url'
>;

import { DEFAULT_PATH_TEMPLATE } from '../core/layout/path-template.js';
import { METRICS_SERVICE } from '../observability/metrics.js';
import { DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS, keepAliveTimeoutSecondsFor } from './keep-alive.js';
import { DEFAULT_MAX_QUEUED_REQUESTS } from './receiver-memory.js';

/**
 * THE configuration schema: every setting of every command and every Lambda declares here, once,
 * its flag, its environment variable, its default and its validation. Commands (src/cli/registry.ts)
 * and Lambdas (src/lambda/*-handler.ts) name the keys they use and read them through
 * {@link resolveSettings}, so a flag and a variable mean the same everywhere, and a flag wins over
 * its variable. The README's configuration table is checked against this list
 * (src/config/settings-docs.test.ts); a new setting goes here and, if it has a variable, there.
 *
 * Settings without `env` are per-invocation arguments (what to act on: a bucket, a time range),
 * never configuration a deployment sets once.
 */

export const CONFIG_INVALID = 'CONFIG_INVALID';
export const CLI_USAGE = 'CLI_USAGE';

/** How a setting's text (from a flag or a variable) becomes a value before validation. */
type Kind = 'string' | 'path' | 'int' | 'number' | 'boolean' | 'list' | 'time';

export interface SettingSpec {
  /** Without the dashes. */
  readonly flag: string;
  /** Placeholder in usage lines (`DIR`, `N`); absent for boolean flags. */
  readonly arg?: string;
  readonly env?: string;
  /** A second variable holding a JSON array of more values (list settings only). */
  readonly envList?: string;
  readonly kind: Kind;
  /**
   * The validation, built from zod/mini on first use (settings-resolve.ts): this file loads no zod,
   * so `efsink help` and `efsink X --help` read the settings without it (bench:startup).
   */
  readonly schema: (z: ZodApi) => Z.ZodMiniType;
  readonly default?: unknown;
  /** The README's default column when it is not the default itself (for example "SDK chain"). */
  readonly defaultDoc?: string;
  readonly required?: boolean;
  /** One line: what it is (README meaning column and `--help`). */
  readonly help: string;
}

const setting = <const S extends SettingSpec>(s: S): S => s;

const MiB = 1024 * 1024;

/** An integer in [min, max] with a message that says so (zod's default names no range). */
const intIn = (z: ZodApi, min: number, max: number) =>
  z
    .int(`must be an integer from ${min} to ${max}`)
    .check(
      z.minimum(min, `must be an integer from ${min} to ${max}`),
      z.maximum(max, `must be an integer from ${min} to ${max}`),
    );
const text = (z: ZodApi) => z.string().check(z.minLength(1, 'must not be empty'));
/** What {@link parseTime} could not read stays text, so this fails with the accepted forms. */
const time = (z: ZodApi) =>
  z.number('must be ISO 8601 with a zone (e.g. 2025-08-06T14:00:00Z), `now`, or relative (-2h, -30m, -7d)');

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const SETTINGS = {
  // --- the sink: every writer of efsink (CLI commands, receiver, Lambdas) -------------------------
  root: setting({
    flag: 'root',
    arg: 'DIR',
    env: 'EFSINK_ROOT',
    kind: 'path',
    schema: (z) => z.string().check(z.minLength(1), z.refine(isAbsolute, 'must be an absolute path')),
    required: true,
    help: "EFS mount path (Lambda: the access point's `/mnt/...` path) or a local folder",
  }),
  pathTemplate: setting({
    flag: 'path-template',
    arg: 'T',
    env: 'EFSINK_PATH_TEMPLATE',
    kind: 'string',
    schema: (z) => z.string(),
    default: DEFAULT_PATH_TEMPLATE,
    help: "tokens `{logGroup} {logStream} {owner} {source} {yyyy} {MM} {dd} {HH}` (UTC, from each entry's timestamp)",
  }),
  /**
   * An hour of assembled segments kept under `.efsink/retired/` for repairs by hand (a takeover
   * paused before its rename can roll a file back; ADR 0013). Dedupe uses the `done/` markers, not this.
   */
  segmentRetentionSeconds: setting({
    flag: 'segment-retention-seconds',
    arg: 'N',
    env: 'EFSINK_SEGMENT_RETENTION_SECONDS',
    kind: 'int',
    schema: (z) => intIn(z, 0, 30 * 86_400),
    default: 3600,
    help: 'how long an assembled segment is kept under `.efsink/retired/` (for repairs by hand; dedupe does not depend on it, ADR 0013)',
  }),
  /**
   * After this long without a write, an output file's `done/` markers (one per assembled segment,
   * ADR 0013) are removed by a sweep (ADR 0017). The default is the longest redelivery window (SQS
   * DLQ redrive, 14 days) plus a day; less shortens how long a redelivered unit is recognized.
   */
  sealAfterSeconds: setting({
    flag: 'seal-after-seconds',
    arg: 'N',
    env: 'EFSINK_SEAL_AFTER_SECONDS',
    kind: 'int',
    schema: (z) => intIn(z, 1, 366 * 86_400),
    default: 15 * 86_400,
    help: "after how long without a write an output file's `done/` dedupe markers are removed (ADR 0017); below the default (15 days) a redelivery later than this is appended again",
  }),
  /**
   * CloudWatch Logs batches are at most ~1 MB compressed (the Lambda asynchronous payload limit);
   * 256 MiB leaves room for 100× compression of text.
   */
  maxDecompressedBytes: setting({
    flag: 'max-decompressed-bytes',
    arg: 'N',
    env: 'EFSINK_MAX_DECOMPRESSED_BYTES',
    kind: 'int',
    schema: (z) => intIn(z, 1024, 2048 * MiB),
    default: 256 * MiB,
    help: 'gzip-bomb guard per unit',
  }),
  leaseSeconds: setting({
    flag: 'lease-seconds',
    arg: 'N',
    env: 'EFSINK_LEASE_SECONDS',
    kind: 'int',
    schema: (z) => intIn(z, 2, 3600),
    default: 30,
    help: 'assembly lease per output file',
  }),
  /** Amortises the fsync while bounding memory. */
  maxBatchBytes: setting({
    flag: 'max-batch-bytes',
    arg: 'N',
    env: 'EFSINK_MAX_BATCH_BYTES',
    kind: 'int',
    schema: (z) => intIn(z, 1, 256 * MiB),
    default: 8 * MiB,
    help: 'bytes appended per write + fsync + journal commit during assembly',
  }),
  /**
   * Each file's work is serial round trips (on EFS ~1–3 ms per metadata operation), so files in
   * parallel multiply throughput; memory grows with it (each file holds up to one batch).
   */
  assembleConcurrency: setting({
    flag: 'assemble-concurrency',
    arg: 'N',
    env: 'EFSINK_ASSEMBLE_CONCURRENCY',
    kind: 'int',
    schema: (z) => intIn(z, 1, 64),
    default: 4,
    help: 'output files one assembly pass works on at the same time',
  }),
  assembleAfterIngest: setting({
    flag: 'assemble-after-ingest',
    env: 'EFSINK_ASSEMBLE_AFTER_INGEST',
    kind: 'boolean',
    schema: (z) => z.boolean(),
    default: false,
    help: 'run an assembly pass after each ingested unit when no other assembler holds the file',
  }),
  logLevel: setting({
    flag: 'log-level',
    arg: 'L',
    env: 'EFSINK_LOG_LEVEL',
    kind: 'string',
    schema: (z) => z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`),
    default: 'info',
    defaultDoc: '`info` (`silent` for one-shot commands)',
    help: 'JSON log level on stderr (CLI: pino; Lambda: Powertools, `fatal` → `CRITICAL`)',
  }),

  // --- the Firehose HTTP endpoint receiver (`efsink serve`) ------------------------------------
  host: setting({
    flag: 'host',
    arg: 'ADDR',
    env: 'EFSINK_HOST',
    kind: 'string',
    schema: (z) => text(z),
    default: '127.0.0.1',
    help: 'interface to listen on (loopback; the container image sets `0.0.0.0`)',
  }),
  port: setting({
    flag: 'port',
    arg: 'N',
    env: 'EFSINK_PORT',
    kind: 'int',
    schema: (z) => intIn(z, 0, 65_535),
    default: 8080,
    help: 'TCP port; 0 picks a free one',
  }),
  /**
   * A separate port, so a load balancer that forwards the main port never exposes the metrics (the
   * main port answers 404 for `/metrics`). No schema default: it follows --port (receiver-config.ts).
   */
  metricsPort: setting({
    flag: 'metrics-port',
    arg: 'N',
    env: 'EFSINK_METRICS_PORT',
    kind: 'int',
    schema: (z) => intIn(z, 0, 65_535),
    defaultDoc: '`9464` (`0` when `--port` is `0`)',
    help: 'port of the Prometheus `/metrics` listener (same host, never the main port)',
  }),
  /**
   * Below the load balancer's and the container health check's 5 s timeouts, so the check reports a
   * reason instead of timing out.
   */
  healthProbeTimeoutSeconds: setting({
    flag: 'health-probe-timeout-seconds',
    arg: 'N',
    env: 'EFSINK_HEALTH_PROBE_TIMEOUT_SECONDS',
    kind: 'number',
    schema: (z) =>
      z
        .number()
        .check(z.minimum(0.001, 'must be from 0.001 to 60'), z.maximum(60, 'must be from 0.001 to 60')),
    default: 2,
    help: '`/healthz` answers 503 when its write-and-fsync probe under `.efsink/` takes longer',
  }),
  /** Firehose: an access key is at most 4096 bytes. */
  accessKeys: setting({
    flag: 'access-key',
    arg: 'KEY',
    env: 'EFSINK_ACCESS_KEY',
    envList: 'EFSINK_ACCESS_KEYS',
    kind: 'list',
    schema: (z) =>
      z
        .array(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(4096)))
        .check(z.minLength(1, 'at least one access key is required')),
    required: true,
    help: 'accepted `X-Amz-Firehose-Access-Key` (repeat the flag, or a JSON array in `EFSINK_ACCESS_KEYS`, during a rotation)',
  }),
  /**
   * Firehose sends at most 64 MiB of records; base64 makes that ≈ 85.4 MiB of JSON.
   */
  maxBodyBytes: setting({
    flag: 'max-body-bytes',
    arg: 'N',
    env: 'EFSINK_MAX_BODY_BYTES',
    kind: 'int',
    schema: (z) => intIn(z, 1024, 1024 * MiB),
    default: 96 * MiB,
    help: 'largest request body, compressed and decompressed (413 above)',
  }),
  /** Memory ≈ idle + this × ~6 × body size (measured: 436 MB peak for 8 × 8.5 MB bodies, bench/README.md). */
  /** No schema default: it follows the memory (src/config/receiver-memory.ts, ADR 0015). */
  maxConcurrentRequests: setting({
    flag: 'max-concurrent-requests',
    arg: 'N',
    env: 'EFSINK_MAX_CONCURRENT_REQUESTS',
    kind: 'int',
    schema: (z) => intIn(z, 1, 1024),
    defaultDoc: 'min(`8`, what fits in memory)',
    help: 'requests read, decoded and written at once; more than fits in memory is refused (`CONFIG_MEMORY_BOUND_EXCEEDED`)',
  }),
  memoryLimitBytes: setting({
    flag: 'memory-limit-bytes',
    arg: 'N',
    env: 'EFSINK_MEMORY_LIMIT_BYTES',
    kind: 'int',
    schema: (z) => intIn(z, 1024 * 1024, Number.MAX_SAFE_INTEGER),
    defaultDoc: "the cgroup limit, else the machine's memory",
    help: 'memory the receiver may use, for the concurrency bound: 6 × body + 2 × unwrap budget per request, after 128 MiB idle',
  }),
  maxQueuedRequests: setting({
    flag: 'max-queued-requests',
    arg: 'N',
    env: 'EFSINK_MAX_QUEUED_REQUESTS',
    kind: 'int',
    schema: (z) => intIn(z, 0, 100_000),
    default: DEFAULT_MAX_QUEUED_REQUESTS,
    help: 'requests waiting with bodies unread before new ones get 503',
  }),
  assembleIntervalSeconds: setting({
    flag: 'assemble-interval-seconds',
    arg: 'N',
    env: 'EFSINK_ASSEMBLE_INTERVAL_SECONDS',
    kind: 'number',
    schema: (z) =>
      z.number().check(z.minimum(0, 'must be from 0 to 3600'), z.maximum(3600, 'must be from 0 to 3600')),
    default: 5,
    help: 'seconds between assembly passes; 0 disables the loop (another assembler runs)',
  }),
  /** Firehose itself waits 3 minutes for a response. */
  requestTimeoutSeconds: setting({
    flag: 'request-timeout-seconds',
    arg: 'N',
    env: 'EFSINK_REQUEST_TIMEOUT_SECONDS',
    kind: 'int',
    schema: (z) => intIn(z, 1, 600),
    default: 120,
    help: 'whole-request deadline; slow clients get 408',
  }),
  /**
   * Must exceed the idle timeout of the load balancer in front (issue 11, item 2): the construct's
   * ALB idle timeout is 180 s, so 185.
   */
  keepAliveTimeoutSeconds: setting({
    flag: 'keep-alive-timeout-seconds',
    arg: 'N',
    env: 'EFSINK_KEEP_ALIVE_TIMEOUT_SECONDS',
    kind: 'int',
    schema: (z) => intIn(z, 1, 4100),
    default: keepAliveTimeoutSecondsFor(DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS),
    help: 'how long an idle keep-alive connection stays open (above the load balancer idle timeout)',
  }),
  shutdownTimeoutSeconds: setting({
    flag: 'shutdown-timeout-seconds',
    arg: 'N',
    env: 'EFSINK_SHUTDOWN_TIMEOUT_SECONDS',
    kind: 'int',
    schema: (z) => intIn(z, 0, 3600),
    default: 60,
    help: 'how long SIGTERM waits for in-flight requests before closing connections',
  }),

  /** CloudWatch's standard resolution is one minute. */
  emfIntervalSeconds: setting({
    flag: 'emf-interval-seconds',
    arg: 'N',
    env: 'EFSINK_EMF_INTERVAL_SECONDS',
    kind: 'number',
    schema: (z) =>
      z.number().check(z.minimum(0, 'must be from 0 to 3600'), z.maximum(3600, 'must be from 0 to 3600')),
    default: 60,
    help: 'seconds between EMF publications of the counters on stdout; 0 publishes only at shutdown',
  }),
  /**
   * The Lambda paths use `efsink-<function>`; several receivers in one account and Region each get
   * their own, so alarms do not mix them (CloudWatch dimension values: 1-1024 ASCII characters).
   */
  metricsService: setting({
    flag: 'metrics-service',
    arg: 'NAME',
    env: 'EFSINK_METRICS_SERVICE',
    kind: 'string',
    schema: (z) =>
      z
        .string()
        .check(
          z.minLength(1, 'must not be empty'),
          z.maxLength(1024, 'must be at most 1024 characters'),
          z.regex(/^[\x20-\x7e]+$/, 'printable ASCII only'),
        ),
    default: METRICS_SERVICE.receiver,
    help: "value of the EMF `service` dimension of the receiver's metrics",
  }),

  // --- where the data comes from ----------------------------------------------------------------
  logGroup: setting({
    flag: 'log-group',
    arg: 'NAME',
    env: 'EFSINK_LOG_GROUP',
    kind: 'string',
    schema: (z) => text(z),
    help: '`{logGroup}` for records that name none (S3 objects, direct Firehose records); for `backfill`/`verify cloudwatch`, the group read',
  }),
  /** The SDK reads AWS_REGION (and ~/.aws/config) itself; no default here, so its chain decides. */
  region: setting({
    flag: 'region',
    arg: 'R',
    env: 'AWS_REGION',
    kind: 'string',
    schema: (z) => text(z),
    defaultDoc: "the AWS SDK's chain (`AWS_REGION`, `~/.aws/config`)",
    help: 'AWS Region of the source (S3, CloudWatch Logs)',
  }),
  /** AWS_ENDPOINT_URL is the SDK's own variable for the same thing. */
  endpoint: setting({
    flag: 'endpoint',
    arg: 'URL',
    env: 'AWS_ENDPOINT_URL',
    kind: 'string',
    schema: (z) => z.url('must be a URL'),
    defaultDoc: "the service's AWS endpoint",
    help: 'S3 or CloudWatch Logs endpoint (an S3-compatible server: path-style requests)',
  }),
  rate: setting({
    flag: 'rate',
    arg: 'N',
    kind: 'number',
    schema: (z) => z.number().check(z.positive('must be a positive number of requests per second')),
    help: 'source requests per second',
  }),
  maxAttempts: setting({
    flag: 'max-attempts',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 1, 100),
    default: 8,
    help: 'attempts per source request (throttling, 5xx, network) before SOURCE_RETRIES_EXHAUSTED',
  }),
  retryBaseMs: setting({
    flag: 'retry-base-ms',
    arg: 'MS',
    kind: 'int',
    schema: (z) => intIn(z, 0, 60_000),
    default: 200,
    help: 'first retry delay ceiling (exponential backoff with full jitter)',
  }),
  bucket: setting({ flag: 'bucket', arg: 'B', kind: 'string', schema: (z) => text(z), help: 'S3 bucket' }),
  key: setting({
    flag: 'key',
    arg: 'K',
    kind: 'string',
    schema: (z) => text(z),
    help: 'S3 object key, as stored (not URL-encoded)',
  }),
  versionId: setting({
    flag: 'version-id',
    arg: 'V',
    kind: 'string',
    schema: (z) => text(z),
    help: 'S3 object version',
  }),
  prefix: setting({
    flag: 'prefix',
    arg: 'P',
    kind: 'string',
    schema: (z) => z.string(),
    help: 'S3 key prefix',
  }),
  pageSize: setting({
    flag: 'page-size',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 1, 1000),
    help: 'ListObjectsV2 MaxKeys',
  }),
  start: setting({
    flag: 'start',
    arg: 'T',
    kind: 'time',
    schema: (z) => time(z),
    help: 'start of the range: ISO 8601 with a zone, or relative to now (`-2h`, `-30m`, `-7d`)',
  }),
  end: setting({
    flag: 'end',
    arg: 'T',
    kind: 'time',
    schema: (z) => time(z),
    help: 'end of the range (exclusive), as --start; `now` is accepted',
  }),
  owner: setting({
    flag: 'owner',
    arg: 'ACCOUNT',
    kind: 'string',
    schema: (z) => text(z),
    help: '`{owner}` (account id) when the template uses it',
  }),
  noAssemble: setting({
    flag: 'no-assemble',
    kind: 'boolean',
    schema: (z) => z.boolean(),
    default: false,
    help: 'land only; leave assembly to the scheduled assembler',
  }),
  progressIntervalMs: setting({
    flag: 'progress-interval-ms',
    arg: 'MS',
    kind: 'int',
    schema: (z) => intIn(z, 0, 3_600_000),
    help: 'progress line period on stderr (0: every update)',
  }),
  json: setting({
    flag: 'json',
    kind: 'boolean',
    schema: (z) => z.boolean(),
    default: false,
    help: 'print the result as one JSON line on stdout',
  }),
  samples: setting({
    flag: 'samples',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 0, 100_000),
    default: 10,
    help: 'sample lines per difference class',
  }),
  partitions: setting({
    flag: 'partitions',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 1, 65_536),
    help: 'hash partitions of the comparison (bounded memory)',
  }),
  tempDir: setting({
    flag: 'temp-dir',
    arg: 'DIR',
    kind: 'path',
    schema: (z) => z.string(),
    help: 'where verify spills its partitions',
  }),

  // --- replaying what a path parked (`efsink replay`) --------------------------------------------
  queue: setting({
    flag: 'queue',
    arg: 'URL',
    kind: 'string',
    schema: (z) => z.url('must be an SQS queue URL'),
    help: 'SQS on-failure queue to drain (instead of FILE...)',
  }),
  /** SQS long polling allows 0-20 s. */
  waitSeconds: setting({
    flag: 'wait-seconds',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 0, 20),
    default: 2,
    help: 'ReceiveMessage long poll; an empty answer ends the run',
  }),
  /** SQS VisibilityTimeout: 0-43200 s; at least 1 so a message in work is hidden. */
  visibilityTimeoutSeconds: setting({
    flag: 'visibility-timeout-seconds',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 1, 43_200),
    default: 300,
    help: 'how long a received message stays hidden while it lands',
  }),
  maxMessages: setting({
    flag: 'max-messages',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 1, 1_000_000_000),
    defaultDoc: 'no limit',
    help: 'stop after this many queue messages',
  }),
  s3Endpoint: setting({
    flag: 's3-endpoint',
    arg: 'URL',
    kind: 'string',
    schema: (z) => z.url('must be a URL'),
    defaultDoc: "S3's AWS endpoint",
    help: 'S3 endpoint for the objects SQS batches of S3 notifications name (path-style requests)',
  }),
  deliveryStream: setting({
    flag: 'delivery-stream',
    arg: 'NAME',
    kind: 'string',
    schema: (z) => text(z),
    defaultDoc: 'from the object name',
    help: 'the delivery stream, when the backup object names do not say it',
  }),

  // --- the local simulation (`efsink demo`, `efsink simulate`) ---------------------------------
  requests: setting({
    flag: 'requests',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 0, 10_000_000),
    help: 'requests the local API Gateway answers',
  }),
  seed: setting({
    flag: 'seed',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 0, 2 ** 31 - 1),
    help: 'pseudo-random seed',
  }),
  path: setting({
    flag: 'path',
    arg: 'P',
    kind: 'string',
    schema: (z) =>
      z.enum(
        ['cloudwatch', 'firehose-http', 'firehose-s3'],
        'must be one of cloudwatch, firehose-http, firehose-s3',
      ),
    help: 'delivery path to simulate',
  }),
  format: setting({
    flag: 'format',
    arg: 'F',
    kind: 'string',
    schema: (z) => text(z),
    default: 'rest-clf',
    help: 'access-log preset name or format',
  }),
  trailingNewline: setting({
    flag: 'trailing-newline',
    kind: 'boolean',
    schema: (z) => z.boolean(),
    default: false,
    help: 'end the format with a newline',
  }),
  concurrency: setting({
    flag: 'concurrency',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 1, 1024),
    default: 4,
    help: 'concurrent simulated clients',
  }),
  gzip: setting({
    flag: 'gzip',
    kind: 'boolean',
    schema: (z) => z.boolean(),
    default: false,
    help: 'gzip Firehose deliveries',
  }),
  proxy: setting({
    flag: 'proxy',
    kind: 'boolean',
    schema: (z) => z.boolean(),
    default: false,
    help: 'proxy requests to a local demo API',
  }),
  duplicateEvery: setting({
    flag: 'duplicate-every',
    arg: 'N',
    kind: 'int',
    schema: (z) => intIn(z, 0, 1_000_000),
    default: 5,
    help: 'redeliver every Nth unit',
  }),
  simStart: setting({
    flag: 'sim-start',
    arg: 'T',
    kind: 'time',
    schema: (z) => time(z),
    help: 'simulated clock start (default: the wall clock)',
  }),
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;
type Spec<K extends SettingKey> = (typeof SETTINGS)[K];
export type SettingValue<K extends SettingKey> = Z.output<ReturnType<Spec<K>['schema']>>;
/** Keys that always have a value: a default or required. */
type Always<K extends SettingKey> = Spec<K> extends { default: unknown } | { required: true } ? K : never;

/** The resolved values of keys K; `D` are keys the caller gives a default (or requires). */
export type Settings<K extends SettingKey, D extends SettingKey = never> = {
  readonly [P in K]: P extends Always<P> | D ? SettingValue<P> : SettingValue<P> | undefined;
};

/** Where each resolved value came from, for messages and `--print-config`. */
export type Origin = 'flag' | 'env' | 'default';

export interface ResolveOptions<K extends SettingKey> {
  /** parseArgs values, keyed by flag. */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Relative paths resolve against this (the CLI: the working folder); without it they are rejected. */
  readonly cwd?: string;
  /** Per-command defaults that replace the schema's (for example `logLevel: 'silent'`). */
  readonly defaults?: Partial<Record<K, unknown>>;
  /** Keys this caller requires although the schema does not. */
  readonly required?: readonly K[];
  /** Keys the schema requires that this caller does not. */
  readonly optional?: readonly K[];
  /** For relative times. */
  readonly nowMs?: number;
}

/** `--flag (ENV)`: what the user can set to fix a setting. */
export function nameOf(key: SettingKey): string {
  const s: SettingSpec = SETTINGS[key];
  const envs = [s.env, s.envList].filter((e) => e !== undefined);
  return envs.length > 0 ? `--${s.flag} (${envs.join(', ')})` : `--${s.flag}`;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const RELATIVE = /^-(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * An instant as ms since epoch: ISO 8601 with a zone (`2025-08-06`, `2025-08-06T14:00Z`,
 * `…T14:00:00.000+02:00`), `now`, or a time before now (`-90s`, `-30m`, `-2h`, `-7d`). Anything
 * else stays text, which the schema rejects with the message below.
 */
export function parseTime(value: string, nowMs: number): number | string {
  if (value === 'now') return nowMs;
  const rel = RELATIVE.exec(value);
  if (rel !== null) return nowMs - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  if (!ISO.test(value)) return value;
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isFinite(ms) && ms >= 0 ? ms : value;
}
