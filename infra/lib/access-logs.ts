import type * as s3 from 'aws-cdk-lib/aws-s3';

/** Where a bucket or load balancer this construct creates writes its access logs. */
export interface AccessLogsTarget {
  /**
   * The log bucket. For S3 server access logs it must be in the same Region and account; for load
   * balancer access logs it must use SSE-S3 (CDK adds the bucket policy when it owns the bucket).
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
   * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
   */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix of the log objects.
   * @default - a prefix naming the logged resource (for example `efsink-firehose-bucket/`)
   */
  readonly prefix?: string;
}
