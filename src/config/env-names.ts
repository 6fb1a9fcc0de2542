import { SETTINGS } from './settings.js';

/**
 * Environment variable names of the sink settings, read by the Lambda handlers and the receiver and
 * written by the CDK constructs. Derived from the one schema (settings.ts), so they cannot drift.
 */
export const ENV = {
  root: SETTINGS.root.env,
  pathTemplate: SETTINGS.pathTemplate.env,
  segmentRetentionSeconds: SETTINGS.segmentRetentionSeconds.env,
  sealAfterSeconds: SETTINGS.sealAfterSeconds.env,
  maxDecompressedBytes: SETTINGS.maxDecompressedBytes.env,
  leaseSeconds: SETTINGS.leaseSeconds.env,
  assembleAfterIngest: SETTINGS.assembleAfterIngest.env,
  maxBatchBytes: SETTINGS.maxBatchBytes.env,
  assembleConcurrency: SETTINGS.assembleConcurrency.env,
  logLevel: SETTINGS.logLevel.env,
} as const;
