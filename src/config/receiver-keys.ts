/** Kept apart from receiver-config.ts so the CLI registry can list them without loading zod. */
/** Settings of `efsink serve` beyond the sink's (flags, variables and defaults: settings.ts). */
export const RECEIVER_KEYS = [
  'host',
  'port',
  'metricsPort',
  'healthProbeTimeoutSeconds',
  'accessKeys',
  'logGroup',
  'maxBodyBytes',
  'maxConcurrentRequests',
  'memoryLimitBytes',
  'maxQueuedRequests',
  'assembleIntervalSeconds',
  'requestTimeoutSeconds',
  'shutdownTimeoutSeconds',
  'keepAliveTimeoutSeconds',
  'emfIntervalSeconds',
  'metricsService',
] as const;
export type ReceiverKey = (typeof RECEIVER_KEYS)[number];
