import { Duration, Lazy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, test } from 'vitest';
import type { ConstructConfigError } from '../lib/errors.js';
import { FirehoseS3ToEfs, type FirehoseS3ToEfsProps } from '../lib/firehose-s3-to-efs.js';
import { createTestEnvironment, FIXTURE_ENTRIES, type TestEnvironment } from './helpers.js';
import {
  expectEfsMountedFunctions,
  expectNoWildcardActions,
  expectNoWildcardEfsResources,
} from './template-checks.js';

function build(
  overrides: Partial<FirehoseS3ToEfsProps> | ((env: TestEnvironment) => Partial<FirehoseS3ToEfsProps>) = {},
): { env: TestEnvironment; template: Template; path: FirehoseS3ToEfs } {
  // GIVEN an imported VPC and file system
  const env = createTestEnvironment();
  // WHEN
  const path = new FirehoseS3ToEfs(env.stack, 'FhPath', {
    vpc: env.vpc,
    fileSystem: env.fileSystem,
    deliveryStreamName: 'amazon-apigateway-efsink-test',
    entry: FIXTURE_ENTRIES.s3Sqs,
    assembler: { entry: FIXTURE_ENTRIES.assemble },
    ...(typeof overrides === 'function' ? overrides(env) : overrides),
  });
  return { env, template: Template.fromStack(env.stack), path };
}

const expectCode = (code: string) => expect.objectContaining({ code }) as ConstructConfigError;

describe('FirehoseS3ToEfs', () => {
  const { template } = build();

  test('creates a DirectPut stream named amazon-apigateway-… writing to the bucket with a newline delimiter', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'amazon-apigateway-efsink-test',
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'access-logs/!{timestamp:yyyy/MM/dd/HH}/',
        ErrorOutputPrefix: 'failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/',
        CompressionFormat: 'UNCOMPRESSED',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] },
      }),
    });
  });

  test('creates an encrypted, private, TLS-only bucket with expiring objects', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('notifies the queue of new objects under the prefix, without a custom resource', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Event: 's3:ObjectCreated:*',
              Queue: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FhPathNotificationQueue'), 'Arn'] },
              Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'access-logs/' }] } },
            },
          ],
        },
      }),
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^FhPathNotificationQueuePolicy')]),
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 's3.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ]),
      },
    });
  });

  test('redrives notifications to a DLQ after 5 receives, with visibility 6 × the function timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 720,
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FhPathDeadLetterQueue'), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 120, MemorySize: 1024 });
  });

  test('maps the queue to the function with ReportBatchItemFailures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FhPathNotificationQueue'), 'Arn'] },
    });
  });

  test('lets the function read only objects under the prefix', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^FhPathBucket'), 'Arn'] }, '/access-logs/*'],
              ],
            },
          },
        ]),
      },
    });
  });

  test('mounts the access point under /mnt in both functions, runs nodejs22.x, opens NFS 2049', () => {
    expectEfsMountedFunctions(template, 2);
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupIngress',
      { GroupId: 'sg-0ccccccccccccccc1', IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049 },
      2,
    );
  });

  test('scopes IAM: no wildcard actions, no EFS statement on *', () => {
    expectNoWildcardEfsResources(template);
    expectNoWildcardActions(template);
  });

  test('trusts Firehose only with this account as external id', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': '123456789012' } },
          }),
        ],
      },
    });
  });

  test('alarms on errors, throttles, DLQ depth, Firehose data freshness and throttled records', () => {
    const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: { MetricName: string } }).Properties.MetricName,
    );
    expect(metrics).toEqual(
      expect.arrayContaining([
        'Errors',
        'Throttles',
        'ApproximateNumberOfMessagesVisible',
        'DeliveryToS3.DataFreshness',
        'ThrottledRecords',
      ]),
    );
  });

  test('omits the delimiter processor and compresses when asked', () => {
    const { template: t } = build({ appendDelimiter: false, compression: 'GZIP' });
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: 'GZIP',
        ProcessingConfiguration: Match.absent(),
      }),
    });
  });

  test('uses an existing bucket through the notification custom resource', () => {
    const { template: t } = build((env) => ({
      bucket: s3.Bucket.fromBucketName(env.stack, 'Existing', 'existing-access-logs'),
    }));
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'existing-access-logs',
      NotificationConfiguration: {
        QueueConfigurations: [Match.objectLike({ Events: ['s3:ObjectCreated:*'] })],
      },
    });
  });

  test('names the stream amazon-apigateway-… by default', () => {
    const { path } = build({ deliveryStreamName: undefined as unknown as string });
    expect(path.deliveryStreamName).toMatch(/^amazon-apigateway-[a-zA-Z0-9-]{1,46}$/);
  });

  test('accepts an unresolved Token as stream name', () => {
    expect(() => build({ deliveryStreamName: Lazy.string({ produce: () => 'whatever' }) })).not.toThrow();
  });

  test('fails when the stream name lacks the amazon-apigateway- prefix', () => {
    expect(() => build({ deliveryStreamName: 'efsink-access-logs' })).toThrowError(
      expectCode('DELIVERY_STREAM_NAME_PREFIX'),
    );
  });

  test('fails when the stream name is longer than 64 characters', () => {
    expect(() => build({ deliveryStreamName: `amazon-apigateway-${'x'.repeat(47)}` })).toThrowError(
      expectCode('DELIVERY_STREAM_NAME_INVALID'),
    );
  });

  test('fails when the stream name has a character Firehose rejects', () => {
    expect(() => build({ deliveryStreamName: 'amazon-apigateway-a/b' })).toThrowError(
      expectCode('DELIVERY_STREAM_NAME_INVALID'),
    );
  });

  test('fails when the visibility timeout is under 6 × the function timeout', () => {
    expect(() =>
      build({ timeout: Duration.minutes(1), visibilityTimeout: Duration.minutes(5) }),
    ).toThrowError(expectCode('VISIBILITY_TIMEOUT_TOO_SHORT'));
  });

  test('fails when the buffer size is over 128 MiB', () => {
    expect(() => build({ bufferingSizeMiB: 129 })).toThrowError(/bufferingSizeMiB is 129 MiB/);
  });

  test('fails when the object prefix would catch Firehose error objects', () => {
    expect(() => build({ objectPrefix: 'failed/logs/' })).toThrowError(expectCode('PREFIX_INVALID'));
  });
});
