import { SETTINGS } from './settings.js';

/**
 * Environment variables of `efsink serve` beyond the sink's (env-names.ts). Derived from the one
 * schema (settings.ts); a flag wins over its variable.
 */
export const RECEIVER_ENV = {
  host: SETTINGS.host.env,
  port: SETTINGS.port.env,
  metricsPort: SETTINGS.metricsPort.env,
  healthProbeTimeoutSeconds: SETTINGS.healthProbeTimeoutSeconds.env,
  accessKey: SETTINGS.accessKeys.env,
  accessKeys: SETTINGS.accessKeys.envList,
  logGroup: SETTINGS.logGroup.env,
  maxBodyBytes: SETTINGS.maxBodyBytes.env,
  maxConcurrentRequests: SETTINGS.maxConcurrentRequests.env,
  maxQueuedRequests: SETTINGS.maxQueuedRequests.env,
  memoryLimitBytes: SETTINGS.memoryLimitBytes.env,
  assembleIntervalSeconds: SETTINGS.assembleIntervalSeconds.env,
  requestTimeoutSeconds: SETTINGS.requestTimeoutSeconds.env,
  shutdownTimeoutSeconds: SETTINGS.shutdownTimeoutSeconds.env,
  keepAliveTimeoutSeconds: SETTINGS.keepAliveTimeoutSeconds.env,
  emfIntervalSeconds: SETTINGS.emfIntervalSeconds.env,
  metricsService: SETTINGS.metricsService.env,
  logLevel: SETTINGS.logLevel.env,
} as const;
