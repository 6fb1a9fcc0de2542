import { ArnFormat, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeNag, wildcardResourceFinding } from './nag.js';
import { API_GATEWAY_STREAM_PREFIX, validateDeliveryStreamName } from './validation.js';

/** The stream name to use: the given one (validated) or `amazon-apigateway-<unique id>`. */
export function resolveDeliveryStreamName(scope: Construct, name: string | undefined): string {
  if (name !== undefined) {
    validateDeliveryStreamName(scope, name);
    return name;
  }
  return `${API_GATEWAY_STREAM_PREFIX}${Names.uniqueResourceName(scope, { maxLength: 64 - API_GATEWAY_STREAM_PREFIX.length, separator: '-' })}`;
}

/**
 * The role Firehose assumes. The external-id condition (our account) keeps another account's stream
 * from using it (confused deputy).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
 */
export function createFirehoseRole(scope: Construct, id: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
      conditions: { StringEquals: { 'sts:ExternalId': Stack.of(scope).account } },
    }),
    description: 'efsink: Firehose delivery role',
  });
}

/** S3 permissions Firehose needs to write objects under the given key patterns of a bucket. */
export function grantFirehoseBucketWrite(
  role: iam.IRole,
  bucket: s3.IBucket,
  keyPatterns: readonly string[],
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [bucket.bucketArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      resources: keyPatterns.map((pattern) => bucket.arnForObjects(pattern)),
    }),
  );
  for (const pattern of keyPatterns) {
    acknowledgeNag(
      role,
      wildcardResourceFinding(role, bucket.arnForObjects(pattern)),
      `Firehose names each object itself (timestamp and random suffix), so object keys are unknown at ` +
        `deploy time; the wildcard is limited to the key prefix "${pattern}" of this one bucket.`,
    );
  }
  bucket.encryptionKey?.grantEncryptDecrypt(role);
}

/** A log group + stream for Firehose's delivery errors, writable by `role`. */
export function createFirehoseErrorLogging(
  scope: Construct,
  id: string,
  role: iam.IRole,
  retention: logs.RetentionDays,
): { logGroup: logs.LogGroup; logStream: logs.LogStream } {
  const logGroup = new logs.LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY });
  const logStream = new logs.LogStream(scope, `${id}Stream`, {
    logGroup,
    logStreamName: 'DestinationDelivery',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['logs:PutLogEvents'],
      resources: [
        Stack.of(scope).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: `${logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  );
  return { logGroup, logStream };
}

/** An API Gateway access-log destination that points a REST stage at a Firehose stream ARN. */
export function firehoseAccessLogDestination(deliveryStreamArn: string): apigateway.IAccessLogDestination {
  return { bind: () => ({ destinationArn: deliveryStreamArn }) };
}
