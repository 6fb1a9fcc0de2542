export type { AccessLogsTarget } from './access-logs.js';
export * from './cloudwatch-logs-to-efs.js';
export * from './efs-access.js';
export * from './efs-assembler.js';
export {
  EFSINK_NODE_MAJOR,
  EFSINK_RUNTIME,
  type EfsinkFunctionOptions,
  type EfsinkHandlerName,
  type EfsinkNodeVersion,
  handlerBundleDirectory,
} from './efsink-function.js';
export * from './errors.js';
export * from './firehose-http-endpoint-to-efs.js';
export * from './firehose-s3-to-efs.js';
export type { EfsinkAlarmOptions } from './monitoring.js';
export { API_GATEWAY_STREAM_PREFIX } from './validation.js';
export * from './vpc-endpoints.js';
