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

/** Firehose copies the configured key verbatim into the header and caps it at 4096 bytes. */
export const MAX_ACCESS_KEY_BYTES = 4096;
/** Firehose reads at most 8192 characters of `errorMessage`. */
export const MAX_ERROR_MESSAGE_CHARS = 8192;
/** Request bodies are at most 64 MiB before compression (Firehose HTTP buffering hint maximum). */
export const FIREHOSE_MAX_BODY_BYTES = 64 * 1024 * 1024;

export const HEALTH_PATH = '/healthz';
export const METRICS_PATH = '/metrics';
