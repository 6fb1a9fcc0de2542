import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, App, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { CloudWatchLogsToEfs } from '../lib/cloudwatch-logs-to-efs.js';
import { type EfsinkHandlerName, handlerBundleDirectory } from '../lib/efsink-function.js';
import { FirehoseHttpEndpointToEfs } from '../lib/firehose-http-endpoint-to-efs.js';
import { FirehoseS3ToEfs } from '../lib/firehose-s3-to-efs.js';
import { type EfsinkVpcEndpointService, EfsinkVpcEndpoints } from '../lib/vpc-endpoints.js';
import { type DeployConfig, type DeployPath, readDeployConfig } from './deploy-config.js';

/** The imported VPC, file system and alarm topic every path stack starts from. */
class EfsinkBaseStack extends Stack {
  readonly vpc: ec2.IVpc;
  readonly fileSystem: efs.IFileSystem;
  readonly alarmTopic: sns.ITopic | undefined;

  constructor(
    scope: Construct,
    id: string,
    config: DeployConfig,
    props: StackProps,
    withPublicSubnets = false,
  ) {
    super(scope, id, props);
    // fromVpcAttributes instead of fromLookup: synthesis must work offline, without credentials.
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: config.vpcId,
      ...(config.vpcCidrBlock === undefined ? {} : { vpcCidrBlock: config.vpcCidrBlock }),
      availabilityZones: [...config.availabilityZones],
      privateSubnetIds: [...config.privateSubnetIds],
      ...(config.privateSubnetRouteTableIds === undefined
        ? {}
        : { privateSubnetRouteTableIds: [...config.privateSubnetRouteTableIds] }),
      // Only the receiver's load balancer uses public subnets; it never reads their route tables.
      ...(config.publicSubnetIds.length === 0 || !withPublicSubnets
        ? {}
        : { publicSubnetIds: [...config.publicSubnetIds] }),
    });
    if (withPublicSubnets) {
      Annotations.of(this.vpc).acknowledgeWarning(
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'Public subnets host only the load balancer; no route table of theirs is read',
      );
    }
    this.fileSystem = efs.FileSystem.fromFileSystemAttributes(this, 'FileSystem', {
      fileSystemId: config.fileSystemId,
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'FileSystemSecurityGroup',
        config.securityGroupId,
      ),
    });
    if (config.alarmEmail !== undefined) {
      const topic = new sns.Topic(this, 'Alarms', { enforceSSL: true });
      topic.addSubscription(new snsSubscriptions.EmailSubscription(config.alarmEmail));
      this.alarmTopic = topic;
    } else {
      this.alarmTopic = undefined;
    }
    if (config.example) {
      Annotations.of(this).addWarningV2(
        'efsink:example',
        'Synthesized with placeholder ids (-c example=true): this template cannot be deployed.',
      );
    }
  }

  protected get common() {
    return {
      vpc: this.vpc,
      fileSystem: this.fileSystem,
      ...(this.alarmTopic === undefined ? {} : { alarmTopic: this.alarmTopic }),
    };
  }
}

class CloudWatchStack extends EfsinkBaseStack {
  constructor(scope: Construct, id: string, config: DeployConfig, props: StackProps) {
    super(scope, id, config, props);
    const path = new CloudWatchLogsToEfs(this, 'CloudWatchLogsToEfs', {
      ...this.common,
      logGroup: logs.LogGroup.fromLogGroupName(this, 'AccessLogGroup', config.logGroupName),
    });
    new CfnOutput(this, 'IngestFunctionName', { value: path.function.functionName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: path.deadLetterQueue.queueUrl });
  }
}

class FirehoseS3Stack extends EfsinkBaseStack {
  constructor(scope: Construct, id: string, config: DeployConfig, props: StackProps) {
    super(scope, id, config, props);
    // Keeps its own assembler even when the CloudWatch stack runs one for the same root: either
    // stack may be deployed alone, and concurrent passes are safe (the per-file lease fences them).
    const path = new FirehoseS3ToEfs(this, 'FirehoseS3ToEfs', this.common);
    new CfnOutput(this, 'DeliveryStreamArn', {
      value: path.deliveryStreamArn,
      description: "Set as the REST API stage's access log destination ARN",
    });
    new CfnOutput(this, 'BucketName', { value: path.bucket.bucketName });
  }
}

class FirehoseHttpStack extends EfsinkBaseStack {
  constructor(scope: Construct, id: string, config: DeployConfig, props: StackProps) {
    super(scope, id, config, props, true);
    const hostedZone =
      config.hostedZoneId !== undefined && config.hostedZoneName !== undefined
        ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
            hostedZoneId: config.hostedZoneId,
            zoneName: config.hostedZoneName,
          })
        : undefined;
    const path = new FirehoseHttpEndpointToEfs(this, 'FirehoseHttpEndpointToEfs', {
      ...this.common,
      image: receiverImage(this, config),
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', config.certificateArn),
      domainName: config.domainName,
      ...(hostedZone === undefined ? {} : { hostedZone }),
    });
    new CfnOutput(this, 'DeliveryStreamArn', {
      value: path.deliveryStreamArn,
      description: "Set as the REST API stage's access log destination ARN",
    });
    new CfnOutput(this, 'LoadBalancerDnsName', {
      value: path.loadBalancer.loadBalancerDnsName,
      description: `Point ${config.domainName} here (CNAME or alias) unless hostedZoneId was given`,
    });
  }
}

/** ECR URI → pull with the execution role; other registry → pull anonymously; none → build from the repo's Dockerfile. */
function receiverImage(scope: Construct, config: DeployConfig): ecs.ContainerImage {
  const uri = config.receiverImage;
  if (uri !== undefined) {
    const ecrMatch = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/([^:@]+)(?::([^@]+))?$/.exec(uri);
    if (ecrMatch?.[1] !== undefined) {
      const repository = ecr.Repository.fromRepositoryName(scope, 'ReceiverRepository', ecrMatch[1]);
      return ecs.ContainerImage.fromEcrRepository(repository, ecrMatch[2] ?? 'latest');
    }
    return ecs.ContainerImage.fromRegistry(uri);
  }
  // The repository root: this file runs as infra/bin/app.ts or bundled as infra/.build/app.mjs.
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (!existsSync(join(root, 'Dockerfile'))) {
    throw new Error('efsink app: no Dockerfile at the repository root; pass -c receiverImage=<image URI>');
  }
  // Staged at synth (no Docker needed then); built by `cdk deploy`, which needs Docker.
  return ecs.ContainerImage.fromAsset(root, {
    platform: Platform.LINUX_ARM64,
    exclude: ['node_modules', '.git', 'coverage', 'dist', '**/cdk.out', 'infra/.build', '.efsink-demo'],
  });
}

/** The prebuilt bundle a path deploys (`npm run build` makes it). */
function bundleOf(name: EfsinkHandlerName): string {
  return join(handlerBundleDirectory(name), 'index.mjs');
}

const STACKS: Record<
  DeployPath,
  { id: string; handlers: readonly string[]; create: typeof CloudWatchStack }
> = {
  cloudwatch: {
    id: 'EfsinkCloudWatchLogs',
    handlers: [bundleOf('cloudwatch-logs-handler'), bundleOf('assemble-handler')],
    create: CloudWatchStack,
  },
  'firehose-s3': {
    id: 'EfsinkFirehoseS3',
    handlers: [bundleOf('s3-sqs-handler'), bundleOf('assemble-handler')],
    create: FirehoseS3Stack,
  },
  'firehose-http': { id: 'EfsinkFirehoseHttp', handlers: [], create: FirehoseHttpStack },
};

/**
 * Builds the example app: one stack per requested path, plus optional VPC endpoints. cdk-nag's
 * AwsSolutions pack runs as a policy validation plugin (the cdk-nag 3 way); an unacknowledged error
 * fails synthesis, and the acknowledged findings are listed in infra/README.md ("cdk-nag").
 */
export function buildApp(app: App = new App()): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const config = readDeployConfig(app);
  const env = {
    ...(config.account === undefined ? {} : { account: config.account }),
    ...(config.region === undefined ? {} : { region: config.region }),
  };
  for (const path of config.paths) {
    const spec = STACKS[path];
    const missing = spec.handlers.filter((entry) => !existsSync(entry));
    if (missing.length > 0 && !config.pathsExplicit) {
      // "all" deploys what exists; asking for a path explicitly fails in the construct instead.
      process.stderr.write(`efsink app: skipping ${path}: handler not written yet (${missing.join(', ')})\n`);
      continue;
    }
    new spec.create(app, spec.id, config, {
      env,
      description: `efsink: API Gateway access logs to EFS (${path})`,
    });
  }
  if (config.vpcEndpoints.length > 0) {
    const stack = new EfsinkBaseStack(app, 'EfsinkVpcEndpoints', config, { env });
    new EfsinkVpcEndpoints(stack, 'Endpoints', {
      vpc: stack.vpc,
      interfaceServices: config.vpcEndpoints as EfsinkVpcEndpointService[],
    });
  }
  return app;
}
