/**
 * Environment variables of `efsink serve` (the Firehose HTTP endpoint receiver), in addition to the
 * sink's (`EFSINK_ROOT`, `EFSINK_PATH_TEMPLATE`, … in env-names.ts). A flag wins over its variable.
 */
export const RECEIVER_ENV = {
  /** Interface to listen on (`--host`); the container image sets `0.0.0.0`. */
  host: 'EFSINK_HOST',
  /** TCP port (`--port`). */
  port: 'EFSINK_PORT',
  /** Port of the Prometheus `/metrics` listener (`--metrics-port`), same host; default 9464. */
  metricsPort: 'EFSINK_METRICS_PORT',
  /** Bound of the `/healthz` write-and-fsync probe in seconds (`--health-probe-timeout-seconds`). */
  healthProbeTimeoutSeconds: 'EFSINK_HEALTH_PROBE_TIMEOUT_SECONDS',
  /** The accepted Firehose access key (`--access-key`); what the CDK construct injects. */
  accessKey: 'EFSINK_ACCESS_KEY',
  /** More accepted keys as a JSON array of strings, for key rotation (`--access-key` repeated). */
  accessKeys: 'EFSINK_ACCESS_KEYS',
  /** `{logGroup}` for records that are not CloudWatch Logs payloads (`--log-group`). */
  logGroup: 'EFSINK_LOG_GROUP',
  maxBodyBytes: 'EFSINK_MAX_BODY_BYTES',
  maxConcurrentRequests: 'EFSINK_MAX_CONCURRENT_REQUESTS',
  maxQueuedRequests: 'EFSINK_MAX_QUEUED_REQUESTS',
  /** Memory the receiver may use, in bytes (`--memory-limit-bytes`); the construct sets the task's. */
  memoryLimitBytes: 'EFSINK_MEMORY_LIMIT_BYTES',
  assembleIntervalSeconds: 'EFSINK_ASSEMBLE_INTERVAL_SECONDS',
  requestTimeoutSeconds: 'EFSINK_REQUEST_TIMEOUT_SECONDS',
  shutdownTimeoutSeconds: 'EFSINK_SHUTDOWN_TIMEOUT_SECONDS',
  /** Idle keep-alive timeout (`--keep-alive-timeout-seconds`); the construct sets it above the ALB's idle timeout. */
  keepAliveTimeoutSeconds: 'EFSINK_KEEP_ALIVE_TIMEOUT_SECONDS',
  /** Seconds between EMF metric publications on stdout; 0: at shutdown only (`--emf-interval-seconds`). */
  emfIntervalSeconds: 'EFSINK_EMF_INTERVAL_SECONDS',
  /** The EMF `service` dimension value (`--metrics-service`); the CDK construct sets one per receiver. */
  metricsService: 'EFSINK_METRICS_SERVICE',
  logLevel: 'EFSINK_LOG_LEVEL',
} as const;
