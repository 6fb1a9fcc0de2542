/**
 * Environment variable names read by the Lambda handlers and the receiver. Kept in one place so that
 * the handlers, the CDK constructs and the docs cannot drift apart.
 */
export const ENV = {
  /** Absolute path of the EFS mount (Lambda: the access point's LocalMountPath, e.g. `/mnt/efs`). */
  root: 'EFSINK_ROOT',
  /** Output path template, e.g. `{logGroup}/{yyyy}/{MM}/{dd}/{HH}.log`. */
  pathTemplate: 'EFSINK_PATH_TEMPLATE',
  /** Seconds an assembled segment is kept before it is deleted. */
  segmentRetentionSeconds: 'EFSINK_SEGMENT_RETENTION_SECONDS',
  /** Hard cap on the decompressed size of one delivery unit (gzip-bomb guard). */
  maxDecompressedBytes: 'EFSINK_MAX_DECOMPRESSED_BYTES',
  /** Seconds an assembly lease is valid without renewal. */
  leaseSeconds: 'EFSINK_LEASE_SECONDS',
  /** `true` to run an opportunistic assembly pass after a successful ingest when the lease is free. */
  assembleAfterIngest: 'EFSINK_ASSEMBLE_AFTER_INGEST',
  /** Bytes appended per write + fsync + journal commit during assembly. */
  maxBatchBytes: 'EFSINK_MAX_BATCH_BYTES',
  /** How many output files one assembly pass works on at the same time. */
  assembleConcurrency: 'EFSINK_ASSEMBLE_CONCURRENCY',
} as const;
