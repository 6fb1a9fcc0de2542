import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, test } from 'vitest';
import { CloudWatchLogsToEfs, type CloudWatchLogsToEfsProps } from '../lib/cloudwatch-logs-to-efs.js';
import type { ConstructConfigError } from '../lib/errors.js';
import { createTestEnvironment, FIXTURE_ENTRIES, type TestEnvironment } from './helpers.js';
import { expectEfsMountedFunctions, expectNoWildcardEfsResources } from './template-checks.js';

function build(overrides: Partial<CloudWatchLogsToEfsProps> = {}): {
  env: TestEnvironment;
  template: Template;
} {
  // GIVEN an imported VPC, file system and access log group
  const env = createTestEnvironment();
  const logGroup = logs.LogGroup.fromLogGroupName(
    env.stack,
    'AccessLogs',
    '/aws/vendedlogs/apigw/prod-access',
  );
  // WHEN
  new CloudWatchLogsToEfs(env.stack, 'CwPath', {
    vpc: env.vpc,
    fileSystem: env.fileSystem,
    logGroup,
    entry: FIXTURE_ENTRIES.cloudwatch,
    assembler: { entry: FIXTURE_ENTRIES.assemble },
    ...overrides,
  });
  return { env, template: Template.fromStack(env.stack) };
}

describe('CloudWatchLogsToEfs', () => {
  const { template } = build();

  test('mounts the access point under /mnt in every function, inside the VPC, on nodejs22.x arm64', () => {
    // THEN
    expectEfsMountedFunctions(template, 2);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      VpcConfig: { SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'] },
    });
  });

  test('creates an access point with a POSIX user, root directory and creation permissions', () => {
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      FileSystemId: 'fs-0123456789abcdef0',
      PosixUser: { Uid: '1001', Gid: '1001' },
      RootDirectory: {
        Path: '/efsink',
        CreationInfo: { OwnerUid: '1001', OwnerGid: '1001', Permissions: '750' },
      },
    });
    template.resourceCountIs('AWS::EFS::AccessPoint', 1);
  });

  test('opens NFS (TCP 2049) on the file system security group from each function', () => {
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupIngress',
      { GroupId: 'sg-0ccccccccccccccc1', IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049 },
      2,
    );
  });

  test('lets each function out only on HTTPS and NFS', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'efsink Function: NFS to EFS, HTTPS to AWS APIs',
      SecurityGroupEgress: [
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() },
      ],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationSecurityGroupId: 'sg-0ccccccccccccccc1',
      FromPort: 2049,
      ToPort: 2049,
    });
  });

  test('subscribes the function to the log group with all events', () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/aws/vendedlogs/apigw/prod-access',
      FilterPattern: '',
      DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CwPathFunction'), 'Arn'] },
    });
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 1);
  });

  test('lets only logs.amazonaws.com invoke the function, for this log group', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'logs.amazonaws.com',
      SourceArn: Match.objectLike({
        'Fn::Join': [
          '',
          Match.arrayWith([Match.stringLikeRegexp('log-group:/aws/vendedlogs/apigw/prod-access')]),
        ],
      }),
    });
  });

  test('sends failed async invocations to an SQS queue after 2 retries within 6 hours', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^CwPathFunction') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CwPathDeadLetterQueue'), 'Arn'] },
        },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
  });

  test('alarms on errors, throttles, dropped events, failed destination deliveries and DLQ depth', () => {
    const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: { MetricName: string } }).Properties.MetricName,
    );
    expect(metrics).toEqual(
      expect.arrayContaining([
        'Errors',
        'Throttles',
        'AsyncEventsDropped',
        'DestinationDeliveryFailures',
        'ApproximateNumberOfMessagesVisible',
        'OldestUnassembledSegmentAgeSeconds',
      ]),
    );
  });

  test('creates a scheduled assembler with reserved concurrency 1', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: Match.objectLike({ EFSINK_ROOT: '/mnt/efsink', EFSINK_LEASE_SECONDS: Match.absent() }),
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('grants EFS client access on the file system ARN with an access point condition, never on *', () => {
    expectNoWildcardEfsResources(template);
  });

  test('sets an explicit timeout and memory on every function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 60, MemorySize: 512 });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 240, MemorySize: 1024 });
  });

  test('fails when the mount path is not under /mnt/', () => {
    expect(() => build({ mountPath: '/efs' })).toThrowError(
      expect.objectContaining({ code: 'MOUNT_PATH_INVALID' }) as ConstructConfigError,
    );
  });

  test('fails when retryAttempts is outside 0-2', () => {
    expect(() => build({ retryAttempts: 3 })).toThrowError(
      /retryAttempts is 3; allowed is an integer from 0 to 2/,
    );
  });

  test('fails when maxEventAge is above 6 hours', () => {
    expect(() => build({ maxEventAge: Duration.hours(7) })).toThrowError(
      expect.objectContaining({ code: 'VALUE_OUT_OF_RANGE' }) as ConstructConfigError,
    );
  });

  test('fails when the handler entry does not exist', () => {
    expect(() => build({ entry: '/nonexistent/handler.ts' })).toThrowError(
      expect.objectContaining({ code: 'ENTRY_NOT_FOUND' }) as ConstructConfigError,
    );
  });

  test('omits the assembler and dashboard when asked', () => {
    const { template: bare } = build({ createAssembler: false, createDashboard: false });
    bare.resourceCountIs('AWS::Lambda::Function', 1);
    bare.resourceCountIs('AWS::Events::Rule', 0);
    bare.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});
