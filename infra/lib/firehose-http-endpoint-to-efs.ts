import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../src/config/env-names.js';
import {
  DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS,
  DEFAULT_METRICS_PORT,
  keepAliveTimeoutSecondsFor,
} from '../../src/config/receiver-config.js';
import { RECEIVER_ENV } from '../../src/config/receiver-env-names.js';
import {
  DEFAULT_MAX_CONCURRENT_REQUESTS,
  DEFAULT_MAX_QUEUED_REQUESTS,
  memoryBound,
  mib,
  requestBodyBytesFor,
} from '../../src/config/receiver-memory.js';
import { THREADPOOL_ENV, THREADPOOL_SIZE } from '../../src/config/threadpool.js';
import { METRICS_SERVICE, MetricName } from '../../src/observability/metrics.js';
import type { AccessLogsTarget } from './access-logs.js';
import {
  createFirehoseErrorLogging,
  createFirehoseRole,
  firehoseAccessLogDestination,
  grantFirehoseBucketWrite,
  resolveDeliveryStreamName,
} from './delivery-stream.js';
import { createWriterSecurityGroup, EfsAccess, type EfsTargetProps } from './efs-access.js';
import { ConstructConfigError } from './errors.js';
import {
  alarmAtLeast,
  alarmBelow,
  alarmOnAny,
  createEfsinkDashboard,
  type EfsinkAlarmOptions,
  efsinkMetric,
  firehoseAlarms,
  firehoseMetric,
} from './monitoring.js';
import { acknowledgeNag } from './nag.js';
import { validateDurationSeconds, validateLogGroupName, validateRange } from './validation.js';

/**
 * Environment variable that carries the Firehose access key into the receiver container (injected by
 * ECS from Secrets Manager, never in the task definition in clear).
 */
export const ACCESS_KEY_ENV = 'EFSINK_ACCESS_KEY';

/**
 * Key inside the secret's JSON. Firehose reads HTTP endpoint credentials from Secrets Manager only in
 * the form `{"api_key": "..."}`.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/using-secrets-manager.html
 */
export const ACCESS_KEY_SECRET_FIELD = 'api_key';

/** Props of {@link FirehoseHttpEndpointToEfs}. */
export interface FirehoseHttpEndpointToEfsProps extends EfsTargetProps, EfsinkAlarmOptions {
  /**
   * The receiver image (`efsink serve`), e.g. `ContainerImage.fromAsset(repoRoot)` or an ECR image.
   * Required: building it needs Docker, which this construct must not assume.
   */
  readonly image: ecs.ContainerImage;
  /**
   * Certificate for `domainName`, in this Region. Firehose delivers only over HTTPS on port 443 and
   * needs a certificate it trusts.
   * @see https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
   */
  readonly certificate: acm.ICertificate;
  /**
   * Public DNS name of the load balancer, covered by `certificate`. Firehose posts to
   * `https://<domainName>/`. A host name only: no scheme, port or path.
   */
  readonly domainName: string;
  /**
   * Hosted zone in which to create an alias A record `domainName` → load balancer.
   * @default - no record: point `domainName` at `loadBalancer.loadBalancerDnsName` yourself
   */
  readonly hostedZone?: route53.IHostedZone;
  /**
   * Subnets of the internet-facing load balancer. Firehose reaches HTTP endpoints over the internet.
   * @default - the VPC's public subnets
   */
  readonly loadBalancerSubnets?: ec2.SubnetSelection;
  /**
   * IPv4 ranges allowed to reach port 443. Narrow it to the Firehose ranges of your Region if you can;
   * every request is also checked against the access key.
   * @default ['0.0.0.0/0']
   * @see https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-http
   */
  readonly allowedIngressCidrs?: readonly string[];
  /**
   * Existing secret holding the access key as `{"api_key": "..."}`.
   * @default - a new secret with a generated 64-character alphanumeric key
   */
  readonly accessKeySecret?: secretsmanager.ISecret;
  /**
   * Name of the delivery stream; must start with `amazon-apigateway-` (1-64 of `[a-zA-Z0-9_.-]`).
   * @default - `amazon-apigateway-` followed by a name unique in the app
   */
  readonly deliveryStreamName?: string;
  /**
   * Firehose buffering interval for the HTTP endpoint, 0-900 s.
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * Firehose buffer size for the HTTP endpoint in MiB, 1-64.
   * @default 5
   */
  readonly bufferingSizeMiB?: number;
  /**
   * How long Firehose keeps retrying a failed request before writing it to the backup bucket,
   * 0-7200 s (counted from the first failure).
   * @default Duration.hours(1)
   * @see https://docs.aws.amazon.com/firehose/latest/APIReference/API_HttpEndpointRetryOptions.html
   */
  readonly retryDuration?: Duration;
  /**
   * Request body encoding. The receiver decompresses `GZIP` bodies.
   * @default 'GZIP'
   */
  readonly contentEncoding?: 'GZIP' | 'NONE';
  /**
   * Existing bucket for records that could not be delivered.
   * @default - a new bucket (SSE-S3, public access blocked, TLS only, objects expire after 90 days)
   */
  readonly backupBucket?: s3.IBucket;
  /**
   * S3 server access logs of the backup bucket this construct creates. Ignored when `backupBucket` is
   * given.
   * @default - no server access logs: only the Firehose delivery role writes to the bucket, and only
   * records it failed to deliver (acknowledged cdk-nag finding AwsSolutions-S1)
   */
  readonly backupBucketServerAccessLogs?: AccessLogsTarget;
  /**
   * Access logs of the load balancer (one line per request Firehose sends).
   * @default - no load balancer access logs: the only client is Firehose, whose delivery errors are
   * logged and alarmed, and the target group's request and 5xx metrics are alarmed (acknowledged
   * cdk-nag finding AwsSolutions-ELB2)
   */
  readonly loadBalancerAccessLogs?: AccessLogsTarget;
  /**
   * Idle timeout of the load balancer (1-4000 s). Firehose allows 3 minutes for an answer. The
   * receiver's keep-alive timeout is set above it (`EFSINK_KEEP_ALIVE_TIMEOUT_SECONDS`), so the load
   * balancer never reuses a connection the receiver has closed (that would be a 502).
   * @default Duration.seconds(180)
   */
  readonly idleTimeout?: Duration;
  /**
   * Port the receiver listens on inside the container.
   * @default 8080
   */
  readonly containerPort?: number;
  /**
   * Port of the receiver's Prometheus `/metrics` listener inside the container
   * (`EFSINK_METRICS_PORT`). The load balancer forwards only `containerPort`, and its listener
   * answers `/metrics` with 404 itself, so the metrics are never public; scrape them from inside
   * the VPC (a sidecar, or a security group rule you add).
   * @default 9464
   */
  readonly metricsPort?: number;
  /**
   * Container command (arguments to the image's entry point).
   * @default ['serve', '--root', mountPath, '--port', String(containerPort)]; the access key comes
   * from the `EFSINK_ACCESS_KEY` environment variable
   */
  readonly command?: readonly string[];
  /**
   * Number of receiver tasks when the service is created; autoscaling moves it between `minTasks` and
   * `maxTasks` afterwards. Left unset, CloudFormation does not reset the count autoscaling chose on
   * every deployment (it would with a fixed value).
   * @default - not set: ECS starts 1 task and autoscaling raises it to `minTasks`
   */
  readonly desiredCount?: number;
  /**
   * Fewest receiver tasks autoscaling keeps, 1-1000. Two or more spread across AZs.
   * @default 2
   */
  readonly minTasks?: number;
  /**
   * Most receiver tasks autoscaling starts, `minTasks`-1000.
   * @default 10
   */
  readonly maxTasks?: number;
  /**
   * Average CPU utilization of the tasks that autoscaling keeps (target tracking), 10-90 %.
   * @default 60
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * Load balancer requests per task per minute that autoscaling keeps (target tracking on
   * `ALBRequestCountPerTarget`), 1-100000. A task holds `maxConcurrentRequests` requests at once
   * (8 on a 2 GiB task); at 300 a minute 8 slots are busy once a request takes 1.6 s, 4 slots once
   * it takes 0.8 s, which EFS's fsync latency reaches before the CPU target does.
   * @default 300
   */
  readonly targetRequestsPerTask?: number;
  /**
   * Name of the output folder for records that are not CloudWatch Logs payloads: the `{logGroup}` of
   * the path template (`EFSINK_LOG_GROUP`), 1-512 characters. Set it, so that files do not land
   * under the delivery stream's name, which is generated and changes when the construct moves.
   * @default - the delivery stream name from each request's X-Amz-Firehose-Source-Arn
   */
  readonly logGroup?: string;
  /**
   * Alarm when the receiver's oldest unassembled segment is older than this.
   * @default Duration.hours(2)
   */
  readonly maxSegmentAge?: Duration;
  /**
   * Create a CloudWatch dashboard (alarms, throughput, lag, failures, load balancer and tasks).
   * @default true
   */
  readonly createDashboard?: boolean;
  /**
   * Task CPU units (256, 512, 1024, 2048, 4096, ...).
   * @default 512
   */
  readonly cpu?: number;
  /**
   * Task memory in MiB, valid for `cpu`. It bounds how many requests a task reads at once
   * (`maxConcurrentRequests`): see src/config/receiver-memory.ts and the README.
   * @default 1024
   */
  readonly memoryLimitMiB?: number;
  /**
   * Requests one task reads, decodes and lands at once (`EFSINK_MAX_CONCURRENT_REQUESTS`). Each
   * may hold 6 × `maxRequestBodyBytes` + 2 × `maxDecompressedBytes`, after 128 MiB idle and the
   * queue's share; a value that does not fit `memoryLimitMiB` fails synth.
   * @default min(8, what fits): 4 on a 1 GiB task, 8 on a 2 GiB task with the other defaults
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Largest request body the receiver accepts (`EFSINK_MAX_BODY_BYTES`; 413, so the S3 backup,
   * above it), 1 MiB-1 GiB.
   * @default twice `bufferingSizeMiB` as base64 plus JSON framing, rounded up to a MiB (14 MiB for 5)
   */
  readonly maxRequestBodyBytes?: number;
  /**
   * Per-request cap on unwrapped CloudWatch Logs payloads (`EFSINK_MAX_DECOMPRESSED_BYTES`), for
   * streams fed by a subscription filter, 1 MiB-2 GiB.
   * @default 64 MiB
   */
  readonly maxDecompressedBytes?: number;
  /**
   * CPU architecture of the task; must match the image.
   * @default ecs.CpuArchitecture.ARM64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /**
   * Health check path of the target group and of the container health check. `efsink serve`
   * answers `GET /healthz` with 200 while it can do its job, and 503 with JSON reasons while it
   * drains, while a request has held its slot past twice the request timeout, or while a small
   * write-and-fsync under `<root>/.efsink/health/` fails or takes over 2 s (a hung EFS mount): the
   * load balancer then stops sending it requests and ECS replaces the task.
   * @default '/healthz'
   */
  readonly healthCheckPath?: string;
  /**
   * HTTP codes that count as healthy.
   * @default '200'
   */
  readonly healthyHttpCodes?: string;
  /**
   * Extra environment for the receiver (e.g. `EFSINK_PATH_TEMPLATE`).
   * @default - only `EFSINK_ROOT`
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Retention of the receiver's and Firehose's log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * API Gateway → Firehose (`amazon-apigateway-…`, HTTP endpoint destination, key in Secrets Manager,
 * failed records to S3) → HTTPS ALB → ECS Fargate `efsink serve` tasks with the EFS access point
 * mounted (IAM-authorized, encrypted in transit). The receiver assembles; no Lambda is involved.
 */
export class FirehoseHttpEndpointToEfs extends Construct {
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly accessKeySecret: secretsmanager.ISecret;
  readonly backupBucket: s3.IBucket;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly efs: EfsAccess;
  readonly endpointUrl: string;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard | undefined;
  /** The `service` dimension of this receiver's EMF metrics (`EFSINK_METRICS_SERVICE`). */
  readonly metricsService: string;
  readonly scaling: ecs.ScalableTaskCount;

  constructor(scope: Construct, id: string, props: FirehoseHttpEndpointToEfsProps) {
    super(scope, id);
    const containerPort = props.containerPort ?? 8080;
    const metricsPort = props.metricsPort ?? DEFAULT_METRICS_PORT;
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(60);
    const bufferingSizeMiB = props.bufferingSizeMiB ?? 5;
    const retryDuration = props.retryDuration ?? Duration.hours(1);
    const idleTimeout = props.idleTimeout ?? Duration.seconds(DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    validateDomainName(this, props.domainName);
    validateRange(this, 'containerPort', containerPort, 1, 65_535);
    validateRange(this, 'metricsPort', metricsPort, 1, 65_535);
    if (!Token.isUnresolved(metricsPort) && metricsPort === containerPort) {
      throw new ConstructConfigError(
        'VALUE_OUT_OF_RANGE',
        this.node.path,
        `metricsPort ${metricsPort} is also containerPort: the metrics need a port the load balancer does not forward`,
      );
    }
    validateDurationSeconds(this, 'bufferingInterval', bufferingInterval, 0, 900);
    validateRange(this, 'bufferingSizeMiB', bufferingSizeMiB, 1, 64, ' MiB');
    validateDurationSeconds(this, 'retryDuration', retryDuration, 0, 7200);
    validateDurationSeconds(this, 'idleTimeout', idleTimeout, 1, 4000);
    const memoryLimitMiB = props.memoryLimitMiB ?? 1024;
    const maxRequestBodyBytes = props.maxRequestBodyBytes ?? requestBodyBytesFor(bufferingSizeMiB);
    const maxDecompressedBytes = props.maxDecompressedBytes ?? 64 * 1024 * 1024;
    validateRange(
      this,
      'maxRequestBodyBytes',
      maxRequestBodyBytes,
      1024 * 1024,
      1024 * 1024 * 1024,
      ' bytes',
    );
    validateRange(
      this,
      'maxDecompressedBytes',
      maxDecompressedBytes,
      1024 * 1024,
      2048 * 1024 * 1024,
      ' bytes',
    );
    validateRange(this, 'maxConcurrentRequests', props.maxConcurrentRequests, 1, 1024);
    const maxConcurrentRequests = concurrencyFor(this, {
      memoryLimitMiB,
      maxRequestBodyBytes,
      maxDecompressedBytes,
      requested: props.maxConcurrentRequests,
    });
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 10;
    validateRange(this, 'minTasks', minTasks, 1, 1000);
    validateRange(this, 'maxTasks', maxTasks, Token.isUnresolved(minTasks) ? 1 : minTasks, 1000);
    validateRange(this, 'desiredCount', props.desiredCount, 0, 1000);
    validateRange(this, 'targetCpuUtilizationPercent', props.targetCpuUtilizationPercent, 10, 90, ' %');
    validateRange(this, 'targetRequestsPerTask', props.targetRequestsPerTask, 1, 100_000);
    validateLogGroupName(this, props.logGroup);
    this.deliveryStreamName = resolveDeliveryStreamName(this, props.deliveryStreamName);
    this.endpointUrl = `https://${props.domainName}/`;
    // Firehose stream names are unique in an account and Region, so this receiver's metrics are too.
    this.metricsService = `${METRICS_SERVICE.receiver}-${this.deliveryStreamName}`;

    this.efs = new EfsAccess(this, 'Efs', props);
    this.accessKeySecret =
      props.accessKeySecret ??
      (new secretsmanager.Secret(this, 'AccessKey', {
        description: 'efsink: Firehose HTTP endpoint access key ({"api_key": ...})',
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: ACCESS_KEY_SECRET_FIELD,
          excludePunctuation: true,
          passwordLength: 64,
        },
      }) as secretsmanager.ISecret);
    if (props.accessKeySecret === undefined) {
      acknowledgeNag(
        this.accessKeySecret,
        'AwsSolutions-SMG4',
        'No automatic rotation yet: ECS injects the key once at task start, and Firehose reads the ' +
          'secret on its own schedule, so a safe rotation has to redeploy the tasks with old and new ' +
          'key (the receiver accepts several via EFSINK_ACCESS_KEYS) before the secret changes. No ' +
          'rotation function does that yet; rotate by hand that way, or pass `accessKeySecret`.',
      );
    }

    // Receiver tasks.
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 512,
      memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      volumes: [
        {
          name: 'efs',
          efsVolumeConfiguration: {
            fileSystemId: props.fileSystem.fileSystemId,
            transitEncryption: 'ENABLED',
            authorizationConfig: { accessPointId: this.efs.accessPoint.accessPointId, iam: 'ENABLED' },
          },
        },
      ],
    });
    this.taskDefinition.addToTaskRolePolicy(this.efs.clientStatement());
    const container = this.taskDefinition.addContainer('Receiver', {
      image: props.image,
      command: [
        ...(props.command ?? ['serve', '--root', this.efs.mountPath, '--port', String(containerPort)]),
      ],
      portMappings: [{ containerPort, protocol: ecs.Protocol.TCP }],
      environment: {
        [ENV.root]: this.efs.mountPath,
        // Also in the image; set here too for an image built some other way (src/config/threadpool.ts).
        [THREADPOOL_ENV]: String(THREADPOOL_SIZE),
        // Derived from the load balancer's idle timeout, so the load balancer closes idle connections first.
        [RECEIVER_ENV.keepAliveTimeoutSeconds]: String(keepAliveTimeoutSecondsFor(idleTimeout.toSeconds())),
        [RECEIVER_ENV.metricsService]: this.metricsService,
        // Never forwarded by the load balancer (it targets containerPort only).
        [RECEIVER_ENV.metricsPort]: String(metricsPort),
        // The memory bound, checked here and again by the receiver at start (same function).
        [RECEIVER_ENV.maxBodyBytes]: String(maxRequestBodyBytes),
        [ENV.maxDecompressedBytes]: String(maxDecompressedBytes),
        [RECEIVER_ENV.maxQueuedRequests]: String(DEFAULT_MAX_QUEUED_REQUESTS),
        ...(maxConcurrentRequests === undefined
          ? {}
          : {
              [RECEIVER_ENV.memoryLimitBytes]: String(memoryLimitMiB * 1024 * 1024),
              [RECEIVER_ENV.maxConcurrentRequests]: String(maxConcurrentRequests),
            }),
        ...(props.logGroup === undefined ? {} : { [RECEIVER_ENV.logGroup]: props.logGroup }),
        ...props.environment,
      },
      // ECS ignores the image's HEALTHCHECK; this one replaces a task whose receiver stops answering.
      // The image has node but maybe not curl, so node's own fetch asks /healthz.
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${containerPort}${props.healthCheckPath ?? '/healthz'}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      secrets: {
        [ACCESS_KEY_ENV]: ecs.Secret.fromSecretsManager(this.accessKeySecret, ACCESS_KEY_SECRET_FIELD),
      },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'receiver',
        logGroup: new logs.LogGroup(this, 'ReceiverLogs', {
          retention: logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      }),
      // Firehose waits up to 3 minutes for an answer; let in-flight requests finish and fsync.
      stopTimeout: Duration.seconds(120),
    });
    container.addMountPoints({ containerPath: this.efs.mountPath, sourceVolume: 'efs', readOnly: false });
    acknowledgeNag(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The plain environment holds only non-secret settings (EFSINK_ROOT and the optional `environment` ' +
        'prop, such as a path template); the access key is injected from Secrets Manager through ' +
        '`secrets`, never as a plain variable.',
    );
    if (this.taskDefinition.executionRole !== undefined) {
      acknowledgeNag(
        this.taskDefinition.executionRole,
        'AwsSolutions-IAM5[Resource::*]',
        'ecr:GetAuthorizationToken, which ECS needs to pull the receiver image from ECR, supports only ' +
          'Resource "*" (ECR user guide, "Private registry authentication"). The image pull actions ' +
          'themselves are scoped to the repository, and the secret read to this one secret.',
      );
    }

    const serviceSecurityGroup = createWriterSecurityGroup(
      this,
      'ServiceSecurityGroup',
      props.vpc,
      'efsink receiver tasks',
    );
    this.service = new ecs.FargateService(this, 'Service', {
      // exactOptionalPropertyTypes: CDK classes are not assignable to their interfaces without a cast.
      cluster: cluster as ecs.ICluster,
      taskDefinition: this.taskDefinition,
      ...(props.desiredCount === undefined ? {} : { desiredCount: props.desiredCount }),
      securityGroups: [serviceSecurityGroup],
      ...(props.vpcSubnets === undefined ? {} : { vpcSubnets: props.vpcSubnets }),
      assignPublicIp: false,
      // EFS volumes need Fargate platform 1.4.0 or later.
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
    });
    props.fileSystem.connections.allowDefaultPortFrom(serviceSecurityGroup, 'efsink receiver tasks: NFS');

    // HTTPS load balancer.
    const lbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'efsink receiver load balancer: HTTPS from Firehose',
      allowAllOutbound: false,
    });
    const ingressCidrs = props.allowedIngressCidrs ?? ['0.0.0.0/0'];
    for (const cidr of ingressCidrs) {
      lbSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from Firehose');
    }
    if (ingressCidrs.includes('0.0.0.0/0')) {
      acknowledgeNag(
        lbSecurityGroup,
        'AwsSolutions-EC23',
        'Firehose reaches HTTP endpoints over the internet from AWS-owned addresses, so port 443 is open ' +
          'to any IPv4 address by default; every request must carry the access key from Secrets Manager, ' +
          'and `allowedIngressCidrs` narrows the rule to the Firehose ranges of the Region.',
      );
    }
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      securityGroup: lbSecurityGroup,
      vpcSubnets: props.loadBalancerSubnets ?? { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      // Firehose allows 3 minutes for a response; the receiver answers after fsync.
      idleTimeout,
    });
    if (props.loadBalancerAccessLogs !== undefined) {
      this.loadBalancer.logAccessLogs(
        props.loadBalancerAccessLogs.bucket,
        props.loadBalancerAccessLogs.prefix ?? 'efsink-receiver-alb',
      );
    } else {
      acknowledgeNag(
        this.loadBalancer,
        'AwsSolutions-ELB2',
        'Access logs are opt-in (loadBalancerAccessLogs): the only client is Firehose, whose failed ' +
          'deliveries are logged, alarmed and backed up to S3, and the target group 5xx and unhealthy ' +
          'host metrics are alarmed.',
      );
    }
    const listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [props.certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });
    const targetGroup = listener.addTargets('Receiver', {
      port: containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      deregistrationDelay: Duration.seconds(180),
      healthCheck: {
        path: props.healthCheckPath ?? '/healthz',
        healthyHttpCodes: props.healthyHttpCodes ?? '200',
        interval: Duration.seconds(15),
        // Longer than the receiver's probe bound (2 s), so a hung mount shows as a 503 with a
        // reason, not as a timeout.
        timeout: Duration.seconds(5),
      },
    });
    // Defence in depth: the receiver serves /metrics on metricsPort only (404 on containerPort),
    // and the load balancer answers the path itself, so no public request reaches a task with it.
    listener.addAction('MetricsNotPublic', {
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
      action: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: '{"errorMessage":"not found"}',
      }),
    });
    this.scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    this.scaling.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: props.targetCpuUtilizationPercent ?? 60,
    });
    this.scaling.scaleOnRequestCount('RequestScaling', {
      requestsPerTarget: props.targetRequestsPerTask ?? 300,
      targetGroup,
    });
    if (props.hostedZone !== undefined) {
      new route53.ARecord(this, 'AliasRecord', {
        zone: props.hostedZone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }

    // Delivery stream.
    this.backupBucket =
      props.backupBucket ??
      (new s3.Bucket(this, 'BackupBucket', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          { expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ],
        ...(props.backupBucketServerAccessLogs === undefined
          ? {}
          : {
              serverAccessLogsBucket: props.backupBucketServerAccessLogs.bucket,
              serverAccessLogsPrefix: props.backupBucketServerAccessLogs.prefix ?? 'efsink-backup-bucket/',
            }),
      }) as s3.IBucket);
    if (props.backupBucket === undefined && props.backupBucketServerAccessLogs === undefined) {
      acknowledgeNag(
        this.backupBucket,
        'AwsSolutions-S1',
        'Server access logs are opt-in (backupBucketServerAccessLogs): only the Firehose delivery role ' +
          'writes here, and only records it failed to deliver, which the freshness alarm already ' +
          'reports; object-level audit belongs to CloudTrail data events.',
      );
    }
    const role = createFirehoseRole(this, 'DeliveryRole');
    grantFirehoseBucketWrite(role, this.backupBucket, ['http-endpoint-failed/*']);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.accessKeySecret.secretArn],
      }),
    );
    this.accessKeySecret.encryptionKey?.grantDecrypt(role);
    const errorLogging = createFirehoseErrorLogging(this, 'DeliveryErrors', role, logRetention);
    const cloudWatchLoggingOptions = {
      enabled: true,
      logGroupName: errorLogging.logGroup.logGroupName,
      logStreamName: errorLogging.logStream.logStreamName,
    };
    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: this.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      httpEndpointDestinationConfiguration: {
        endpointConfiguration: { url: this.endpointUrl, name: 'efsink receiver' },
        secretsManagerConfiguration: {
          enabled: true,
          secretArn: this.accessKeySecret.secretArn,
          roleArn: role.roleArn,
        },
        requestConfiguration: { contentEncoding: props.contentEncoding ?? 'GZIP' },
        bufferingHints: { intervalInSeconds: bufferingInterval.toSeconds(), sizeInMBs: bufferingSizeMiB },
        retryOptions: { durationInSeconds: retryDuration.toSeconds() },
        roleArn: role.roleArn,
        s3BackupMode: 'FailedDataOnly',
        s3Configuration: {
          bucketArn: this.backupBucket.bucketArn,
          roleArn: role.roleArn,
          prefix: 'http-endpoint-failed/',
          compressionFormat: 'GZIP',
          cloudWatchLoggingOptions,
        },
        cloudWatchLoggingOptions,
      },
    });
    this.deliveryStream.node.addDependency(role, this.service);
    this.deliveryStreamArn = this.deliveryStream.attrArn;

    const maxSegmentAge = props.maxSegmentAge ?? Duration.hours(2);
    const stream = (metricName: string, statistic: string) =>
      firehoseMetric(this.deliveryStreamName, metricName, statistic);
    const targetMetric = (code: elbv2.HttpCodeTarget) =>
      targetGroup.metrics.httpCodeTarget(code, { period: Duration.minutes(5), statistic: 'Sum' });
    this.alarms = [
      ...firehoseAlarms(this, this.deliveryStreamName, 'DeliveryToHttpEndpoint', props.alarmTopic),
      // DeliveryToHttpEndpoint.Success: successful requests over attempted ones; below 1 means the
      // receiver refused or failed a request (Firehose retries it, then writes it to the backup).
      alarmBelow(
        this,
        'DeliveryToHttpEndpointSuccessAlarm',
        stream('DeliveryToHttpEndpoint.Success', 'Average'),
        1,
        'efsink: Firehose had failed requests to the receiver in 5 minutes (it retries, then backs them up to S3)',
        props.alarmTopic,
      ),
      alarmOnAny(
        this,
        'ReceiverAssemblyFailuresAlarm',
        efsinkMetric(MetricName.assemblyFailures, this.metricsService, 'Sum'),
        'efsink receiver: an assembly pass left a file unassembled (the next pass retries)',
        props.alarmTopic,
      ),
      alarmAtLeast(
        this,
        'ReceiverSegmentAgeAlarm',
        efsinkMetric(MetricName.oldestUnassembledSegmentAgeSeconds, this.metricsService, 'Maximum'),
        maxSegmentAge.toSeconds(),
        `efsink receiver: a segment has waited longer than ${maxSegmentAge.toHumanString()} to be assembled`,
        props.alarmTopic,
      ),
      alarmOnAny(
        this,
        'LoadBalancer5xxAlarm',
        this.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
        'efsink receiver: the load balancer answered 5xx itself (no healthy task, or a task closed the connection)',
        props.alarmTopic,
      ),
      alarmOnAny(
        this,
        'UnhealthyTargetsAlarm',
        targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(5), statistic: 'Maximum' }),
        'efsink receiver: a task fails its health check',
        props.alarmTopic,
      ),
      alarmOnAny(
        this,
        'Target5xxAlarm',
        targetMetric(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
        'efsink receiver: answered 5xx (Firehose retries, then backs up to S3)',
        props.alarmTopic,
      ),
    ];
    const fiveMinutes = { period: Duration.minutes(5) };
    this.dashboard =
      props.createDashboard === false
        ? undefined
        : createEfsinkDashboard(this, 'Dashboard', {
            alarms: this.alarms,
            services: [this.metricsService],
            functions: [],
            deadLetterQueues: [],
            sourceMetrics: [
              stream('IncomingRecords', 'Sum'),
              stream('DeliveryToHttpEndpoint.Records', 'Sum'),
            ],
            lagMetrics: [stream('DeliveryToHttpEndpoint.DataFreshness', 'Maximum')],
            extraRows: [
              [
                new cloudwatch.GraphWidget({
                  title: 'Load balancer: requests, 5xx from tasks and from the load balancer',
                  left: [targetGroup.metrics.requestCount({ ...fiveMinutes, statistic: 'Sum' })],
                  right: [
                    targetMetric(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
                    targetMetric(elbv2.HttpCodeTarget.TARGET_4XX_COUNT),
                    this.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
                      ...fiveMinutes,
                      statistic: 'Sum',
                    }),
                  ],
                  width: 8,
                }),
                new cloudwatch.GraphWidget({
                  title: 'Targets: healthy and unhealthy tasks',
                  left: [
                    targetGroup.metrics.healthyHostCount({ ...fiveMinutes, statistic: 'Minimum' }),
                    targetGroup.metrics.unhealthyHostCount({ ...fiveMinutes, statistic: 'Maximum' }),
                  ],
                  width: 8,
                }),
                new cloudwatch.GraphWidget({
                  title: 'Firehose: delivery success ratio; receiver response time (p99)',
                  left: [stream('DeliveryToHttpEndpoint.Success', 'Average')],
                  right: [targetGroup.metrics.targetResponseTime({ ...fiveMinutes, statistic: 'p99' })],
                  width: 8,
                }),
              ],
              [
                new cloudwatch.GraphWidget({
                  title: 'Receiver tasks: CPU and memory utilization (%), autoscaling between bounds',
                  left: [
                    this.service.metricCpuUtilization({ ...fiveMinutes, statistic: 'Average' }),
                    this.service.metricMemoryUtilization({ ...fiveMinutes, statistic: 'Maximum' }),
                  ],
                  width: 24,
                }),
              ],
            ],
          });
  }

  /** Pass to a REST API stage's `accessLogDestination` so the stage writes to this stream. */
  get accessLogDestination(): apigateway.IAccessLogDestination {
    return firehoseAccessLogDestination(this.deliveryStreamArn);
  }
}

/**
 * The receiver concurrency for the task's memory (src/config/receiver-memory.ts, the function the
 * receiver checks itself with): the requested one if it fits, else a synth failure; unrequested,
 * min(8, the bound). Undefined when a value is a Token (the receiver derives it from its cgroup).
 */
function concurrencyFor(
  scope: Construct,
  p: {
    memoryLimitMiB: number;
    maxRequestBodyBytes: number;
    maxDecompressedBytes: number;
    requested?: number | undefined;
  },
): number | undefined {
  if (
    [p.memoryLimitMiB, p.maxRequestBodyBytes, p.maxDecompressedBytes, p.requested].some((v) =>
      Token.isUnresolved(v),
    )
  )
    return undefined;
  const bound = memoryBound({
    memoryLimitBytes: p.memoryLimitMiB * 1024 * 1024,
    maxBodyBytes: p.maxRequestBodyBytes,
    maxDecompressedBytes: p.maxDecompressedBytes,
    maxQueuedRequests: DEFAULT_MAX_QUEUED_REQUESTS,
  });
  const explain =
    `each request may hold 6 × maxRequestBodyBytes (${mib(p.maxRequestBodyBytes)}) + 2 × maxDecompressedBytes ` +
    `(${mib(p.maxDecompressedBytes)}) = ${mib(bound.perRequestBytes)}, and memoryLimitMiB ${p.memoryLimitMiB} leaves ` +
    `${mib(bound.budgetBytes)} after ${mib(bound.overheadBytes)} idle and queue overhead: room for ${bound.maxConcurrentRequests}`;
  if (p.requested !== undefined && p.requested > bound.maxConcurrentRequests) {
    throw new ConstructConfigError(
      'MEMORY_BOUND_EXCEEDED',
      scope.node.path,
      `maxConcurrentRequests ${p.requested} does not fit the task: ${explain}. Lower it or the body limits, or raise memoryLimitMiB.`,
    );
  }
  if (bound.maxConcurrentRequests < 1) {
    throw new ConstructConfigError(
      'MEMORY_BOUND_EXCEEDED',
      scope.node.path,
      `not even one request fits the task: ${explain}. Lower maxRequestBodyBytes or maxDecompressedBytes, or raise memoryLimitMiB.`,
    );
  }
  return p.requested ?? Math.min(DEFAULT_MAX_CONCURRENT_REQUESTS, bound.maxConcurrentRequests);
}

const HOST_NAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/;

function validateDomainName(scope: Construct, domainName: string): void {
  if (Token.isUnresolved(domainName)) return;
  if (!HOST_NAME.test(domainName)) {
    throw new ConstructConfigError(
      'ENDPOINT_URL_INVALID',
      scope.node.path,
      `domainName "${domainName}" must be a DNS host name (no scheme, port or path): Firehose posts to https://<domainName>/ on port 443`,
    );
  }
}
