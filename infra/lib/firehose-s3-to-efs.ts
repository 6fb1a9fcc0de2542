import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RECEIVER_ENV } from '../../src/config/receiver-env-names.js';
import { METRICS_SERVICE } from '../../src/observability/metrics.js';
import type { AccessLogsTarget } from './access-logs.js';
import {
  createFirehoseErrorLogging,
  createFirehoseRole,
  firehoseAccessLogDestination,
  grantFirehoseBucketWrite,
  resolveDeliveryStreamName,
} from './delivery-stream.js';
import { EfsAccess, type EfsTargetProps } from './efs-access.js';
import { assemblerProps, EfsAssembler, type EfsAssemblerOptions } from './efs-assembler.js';
import { createEfsinkFunction, type EfsinkFunctionOptions } from './efsink-function.js';
import { ConstructConfigError } from './errors.js';
import {
  createDeadLetterQueue,
  createEfsinkDashboard,
  type EfsinkAlarmOptions,
  firehoseAlarms,
  firehoseMetric,
  functionAlarms,
  queueDepthAlarm,
} from './monitoring.js';
import { acknowledgeNag, wildcardResourceFinding } from './nag.js';
import { validateDurationSeconds, validateLogGroupName, validateRange } from './validation.js';

/** Firehose `CompressionFormat` values the S3 handler can read. */
export type FirehoseS3Compression = 'UNCOMPRESSED' | 'GZIP';

/** Props of {@link FirehoseS3ToEfs}. */
export interface FirehoseS3ToEfsProps extends EfsTargetProps, EfsinkFunctionOptions, EfsinkAlarmOptions {
  /**
   * Name of the delivery stream. API Gateway writes access logs only to streams whose name starts with
   * `amazon-apigateway-`; 1-64 characters of `[a-zA-Z0-9_.-]`. Checked at synth unless a Token.
   * @default - `amazon-apigateway-` followed by a name unique in the app
   * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-logging-to-kinesis.html
   */
  readonly deliveryStreamName?: string;
  /**
   * Existing bucket Firehose writes to. Its notifications are then managed by CDK's bucket-notification
   * custom resource (a small non-VPC function), because CloudFormation cannot change an imported bucket.
   * @default - a new bucket: SSE-S3, all public access blocked, TLS only, objects expire after
   * `objectExpiration`, notifications declared on the bucket itself (no custom resource)
   */
  readonly bucket?: s3.IBucket;
  /**
   * S3 server access logs of the bucket this construct creates. Ignored when `bucket` is given.
   * @default - no server access logs: Firehose is the only writer and the S3 handler the only reader,
   * both visible in their own metrics and logs; object-level audit belongs to CloudTrail data events
   * (acknowledged cdk-nag finding AwsSolutions-S1)
   */
  readonly serverAccessLogs?: AccessLogsTarget;
  /**
   * Key prefix of delivered objects (Firehose appends `yyyy/MM/dd/HH/`); also the filter of the S3
   * event notification, so Firehose's error objects (under `failed/`) never reach the handler.
   * Must end with `/`, must not start with `/` or `failed/`, and must not contain `!{`.
   * @default 'access-logs/'
   * @see https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html
   */
  readonly objectPrefix?: string;
  /**
   * Days after which delivered objects are deleted from a bucket this construct creates (the bytes are
   * on EFS by then; the objects remain the replay source until then).
   * @default Duration.days(30)
   */
  readonly objectExpiration?: Duration;
  /**
   * Compression of the S3 objects. `GZIP` objects are decompressed by the handler (subject to
   * `maxDecompressedBytes`).
   * @default 'UNCOMPRESSED' (the bytes in S3 are the records as API Gateway sent them)
   */
  readonly compression?: FirehoseS3Compression;
  /**
   * Add Firehose's `AppendDelimiterToRecord` processor, which appends `\n` to every record. Firehose
   * otherwise concatenates records with no delimiter, and the console access-log presets do not end
   * in `\n`, so lines would run together. Turn it off only if your stage's access-log format already
   * ends with `\n`, or every line gets an empty line after it.
   * Works without dynamic partitioning since early 2024 (see infra/README.md, "Decisions").
   * @default true
   * @see https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html
   */
  readonly appendDelimiter?: boolean;
  /**
   * Firehose buffering interval, 0-900 s: the upper bound of the delay before an object is written.
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * Firehose buffer size in MiB (measured before compression), 1-128.
   * @default 5
   */
  readonly bufferingSizeMiB?: number;
  /**
   * Absolute path of an entry file for the S3 handler (TypeScript or JavaScript, exports `handler`,
   * returns `batchItemFailures`), bundled at synth by the app's esbuild instead of the prebuilt handler.
   * @default - the prebuilt `dist/lambda/s3-sqs-handler/` bundle of the efsink package
   */
  readonly entry?: string;
  /**
   * Timeout of one batch, 1-900 s. Objects can hold up to `bufferingSizeMiB` of records each.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Memory of the S3 handler, 128-10240 MB.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Messages (S3 notifications) per batch, 1-10000.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Visibility timeout of the notification queue. AWS advises at least six times the function timeout,
   * so a message is not redelivered while a retried batch still runs.
   * @default 6 × timeout
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives of a notification before it moves to the dead-letter queue, 1-1000.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Create the scheduled assembler for this root.
   * @default true
   */
  readonly createAssembler?: boolean;
  /**
   * Settings of the scheduled assembler (EFS, alarm and function options are inherited).
   * @default - the {@link EfsAssembler} defaults
   */
  readonly assembler?: EfsAssemblerOptions;
  /**
   * Create a CloudWatch dashboard with the alarms and the function and queue metrics.
   * @default true
   */
  readonly createDashboard?: boolean;
  /**
   * Name of the output folder: the `{logGroup}` of the path template (`EFSINK_LOG_GROUP` of the S3
   * handler), 1-512 characters. Set it, so that files do not land under the delivery stream's name,
   * which is generated and changes when the construct moves.
   * @default - the delivery stream name read from each object's name
   */
  readonly logGroup?: string;
}

const ERROR_PREFIX = 'failed/';

/**
 * API Gateway → Firehose (`amazon-apigateway-…`) → S3 → event notification → SQS (with DLQ) → Lambda
 * (partial batch responses, EFS access point mounted) → segments on EFS, plus the scheduled assembler.
 */
export class FirehoseS3ToEfs extends Construct {
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly bucket: s3.IBucket;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly function: lambda.Function;
  readonly efs: EfsAccess;
  readonly assembler: EfsAssembler | undefined;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard | undefined;

  constructor(scope: Construct, id: string, props: FirehoseS3ToEfsProps) {
    super(scope, id);
    const objectPrefix = props.objectPrefix ?? 'access-logs/';
    const timeout = props.timeout ?? Duration.minutes(2);
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(60);
    const bufferingSizeMiB = props.bufferingSizeMiB ?? 5;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    validateObjectPrefix(this, objectPrefix);
    validateDurationSeconds(this, 'timeout', timeout, 1, 900);
    validateRange(this, 'memorySize', props.memorySize, 128, 10_240, ' MB');
    validateDurationSeconds(this, 'bufferingInterval', bufferingInterval, 0, 900);
    validateRange(this, 'bufferingSizeMiB', bufferingSizeMiB, 1, 128, ' MiB');
    validateRange(this, 'batchSize', props.batchSize, 1, 10_000);
    validateRange(this, 'maxReceiveCount', maxReceiveCount, 1, 1000);
    validateLogGroupName(this, props.logGroup);
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(timeout.toSeconds() * 6);
    validateDurationSeconds(this, 'visibilityTimeout', visibilityTimeout, 0, 43_200);
    if (!visibilityTimeout.isUnresolved() && visibilityTimeout.toSeconds() < 6 * timeout.toSeconds()) {
      throw new ConstructConfigError(
        'VISIBILITY_TIMEOUT_TOO_SHORT',
        this.node.path,
        `visibilityTimeout is ${visibilityTimeout.toSeconds()} s; it must be at least 6 × timeout = ${6 * timeout.toSeconds()} s`,
      );
    }
    this.deliveryStreamName = resolveDeliveryStreamName(this, props.deliveryStreamName);

    // Queue first: a bucket we create declares its notification, which needs the queue policy.
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue');
    this.queue = new sqs.Queue(this, 'NotificationQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    this.bucket =
      props.bucket ??
      (this.createBucket(
        objectPrefix,
        props.objectExpiration ?? Duration.days(30),
        props.serverAccessLogs,
      ) as s3.IBucket);
    if (props.bucket !== undefined) {
      props.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue), {
        prefix: objectPrefix,
      });
    }

    const role = createFirehoseRole(this, 'DeliveryRole');
    grantFirehoseBucketWrite(role, this.bucket, [`${objectPrefix}*`, `${ERROR_PREFIX}*`]);
    const errorLogging = createFirehoseErrorLogging(
      this,
      'DeliveryErrors',
      role,
      props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    );
    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: this.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: `${objectPrefix}!{timestamp:yyyy/MM/dd/HH}/`,
        errorOutputPrefix: `${ERROR_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
        compressionFormat: props.compression ?? 'UNCOMPRESSED',
        bufferingHints: { intervalInSeconds: bufferingInterval.toSeconds(), sizeInMBs: bufferingSizeMiB },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: errorLogging.logGroup.logGroupName,
          logStreamName: errorLogging.logStream.logStreamName,
        },
        ...(props.appendDelimiter === false
          ? {}
          : {
              processingConfiguration: {
                enabled: true,
                processors: [{ type: 'AppendDelimiterToRecord' }],
              },
            }),
      },
    });
    // Firehose checks its permissions when the stream is created.
    this.deliveryStream.node.addDependency(role);
    this.deliveryStreamArn = this.deliveryStream.attrArn;

    this.efs = new EfsAccess(this, 'Efs', props);
    this.function = createEfsinkFunction(this, 'Function', {
      ...props,
      efs: this.efs,
      handler: 's3-sqs-handler',
      ...(props.entry === undefined ? {} : { entry: props.entry }),
      description: 'efsink: Firehose objects in S3 to EFS segments',
      timeout,
      memorySize: props.memorySize ?? 1024,
      environment: props.logGroup === undefined ? {} : { [RECEIVER_ENV.logGroup]: props.logGroup },
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects(`${objectPrefix}*`)],
      }),
    );
    if (this.function.role !== undefined) {
      acknowledgeNag(
        this.function.role,
        wildcardResourceFinding(this, this.bucket.arnForObjects(`${objectPrefix}*`)),
        'The handler reads whichever object an S3 notification names; Firehose generates the keys, so ' +
          `read access is limited to the delivery prefix "${objectPrefix}" of this bucket, not to known keys.`,
      );
    }
    this.bucket.encryptionKey?.grantDecrypt(this.function);
    this.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: props.batchSize ?? 10, reportBatchItemFailures: true }),
    );

    this.assembler =
      props.createAssembler === false
        ? undefined
        : new EfsAssembler(this, 'Assembler', assemblerProps(props, this.efs, props.assembler));

    this.alarms = [
      ...functionAlarms(this, 'ObjectIngest', this.function, props.alarmTopic),
      queueDepthAlarm(
        this,
        'DeadLetterQueueAlarm',
        this.deadLetterQueue,
        `efsink: S3 notifications failed ${maxReceiveCount} times and moved to the dead-letter queue; ` +
          'fix the cause, then redrive them with aws sqs start-message-move-task',
        props.alarmTopic,
      ),
      ...firehoseAlarms(this, this.deliveryStreamName, 'DeliveryToS3', props.alarmTopic),
    ];
    const stream = (metricName: string, statistic: string) =>
      firehoseMetric(this.deliveryStreamName, metricName, statistic);
    this.dashboard =
      props.createDashboard === false
        ? undefined
        : createEfsinkDashboard(this, 'Dashboard', {
            alarms: [...this.alarms, ...(this.assembler?.alarms ?? [])],
            services: [METRICS_SERVICE.s3Sqs, ...(this.assembler ? [METRICS_SERVICE.assembler] : [])],
            functions: [this.function, ...(this.assembler ? [this.assembler.function] : [])],
            deadLetterQueues: [
              this.deadLetterQueue,
              ...(this.assembler ? [this.assembler.deadLetterQueue] : []),
            ],
            sourceMetrics: [stream('IncomingRecords', 'Sum'), stream('DeliveryToS3.Records', 'Sum')],
            lagMetrics: [
              stream('DeliveryToS3.DataFreshness', 'Maximum'),
              this.queue.metricApproximateAgeOfOldestMessage({
                statistic: 'Maximum',
                label: 'Notification queue: age of oldest message',
              }),
            ],
          });
  }

  /** Pass to a REST API stage's `accessLogDestination` so the stage writes to this stream. */
  get accessLogDestination(): apigateway.IAccessLogDestination {
    return firehoseAccessLogDestination(this.deliveryStreamArn);
  }

  /**
   * A bucket whose notification configuration is declared in its own CloudFormation resource, so no
   * custom-resource function is needed. The queue policy cannot name the bucket's ARN (the bucket
   * depends on the policy: a cycle), so it is scoped to S3 in this account with `aws:SourceAccount`.
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
   */
  private createBucket(
    objectPrefix: string,
    objectExpiration: Duration,
    accessLogs: AccessLogsTarget | undefined,
  ): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { expiration: objectExpiration, abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      ...(accessLogs === undefined
        ? {}
        : {
            serverAccessLogsBucket: accessLogs.bucket,
            serverAccessLogsPrefix: accessLogs.prefix ?? 'efsink-firehose-bucket/',
          }),
    });
    if (accessLogs === undefined) {
      acknowledgeNag(
        bucket,
        'AwsSolutions-S1',
        'Server access logs are opt-in (serverAccessLogs): the only writer is the Firehose delivery role ' +
          'and the only reader the S3 handler, both visible in their metrics and logs; object-level ' +
          'audit belongs to CloudTrail data events, and a log bucket of our own would need one in turn.',
      );
    }
    const policy = this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          queue: this.queue.queueArn,
          filter: { s3Key: { rules: [{ name: 'prefix', value: objectPrefix }] } },
        },
      ],
    };
    if (policy.policyDependable !== undefined) cfnBucket.node.addDependency(policy.policyDependable);
    return bucket;
  }
}

function validateObjectPrefix(scope: Construct, prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  if (
    prefix.length === 0 ||
    prefix.length > 400 ||
    !prefix.endsWith('/') ||
    prefix.startsWith('/') ||
    prefix.startsWith(ERROR_PREFIX) ||
    prefix.includes('!{')
  ) {
    throw new ConstructConfigError(
      'PREFIX_INVALID',
      scope.node.path,
      `objectPrefix "${prefix}" must be 1-400 characters ending with "/", not start with "/" or "${ERROR_PREFIX}", and contain no "!{" expression`,
    );
  }
}
