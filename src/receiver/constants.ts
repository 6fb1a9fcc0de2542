/**
 * Header names of the Firehose HTTP endpoint protocol (Node lower-cases incoming header names).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
export const FirehoseHeader = {
  requestId: 'x-amz-firehose-request-id',
  accessKey: 'x-amz-firehose-access-key',
  protocolVersion: 'x-amz-firehose-protocol-version',
  sourceArn: 'x-amz-firehose-source-arn',
  commonAttributes: 'x-amz-firehose-common-attributes',
} as const;

/** Firehose reads at most 8192 characters of `errorMessage`. */
export const MAX_ERROR_MESSAGE_CHARS = 8192;

export const HEALTH_PATH = '/healthz';
export const METRICS_PATH = '/metrics';
