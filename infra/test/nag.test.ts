import { App, type PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { buildApp } from '../bin/app.js';
import { FirehoseHttpEndpointToEfs } from '../lib/firehose-http-endpoint-to-efs.js';
import { FirehoseS3ToEfs } from '../lib/firehose-s3-to-efs.js';
import { createTestEnvironment, FIXTURE_ENTRIES } from './helpers.js';

/**
 * cdk-nag 3 is a policy validation plugin (`Validations.of(app).addPlugins(new AwsSolutionsChecks(app))`),
 * not an Aspect, and reports no Annotations: an unacknowledged *error* fails `app.synth()`, a warning
 * is only printed. So after synthesis the pack is also run with `validateScope` (its documented entry
 * point for tests) to see both, each as "rule id at construct path".
 */
function unacknowledgedFindings(app: App): string[] {
  app.synth();
  const report: PolicyValidationPluginReport = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath ?? '?'}`,
    ),
  );
}

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

describe('cdk-nag AwsSolutions', () => {
  test('example app: every path stack, alarm topic, alias record and VPC endpoints', () => {
    const app = new App({
      context: {
        ...NO_BUNDLING,
        example: 'true',
        alarmEmail: 'ops@example.org',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.org',
        vpcCidrBlock: '10.20.0.0/16',
        privateSubnetRouteTableIds: 'rtb-0aaaaaaaaaaaaaaa1,rtb-0aaaaaaaaaaaaaaa2',
        vpcEndpoints: 'logs,sqs,secretsmanager,firehose,ecr',
      },
    });
    buildApp(app);
    const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c)).map((s) => s.stackName);
    expect(stacks).toEqual(
      expect.arrayContaining([
        'EfsinkCloudWatchLogs',
        'EfsinkFirehoseS3',
        'EfsinkFirehoseHttp',
        'EfsinkVpcEndpoints',
      ]),
    );
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  test('example app with the receiver image from ECR (execution role pulls it)', () => {
    const app = new App({
      context: {
        ...NO_BUNDLING,
        example: 'true',
        paths: 'firehose-http',
        receiverImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/efsink:1.0.0',
      },
    });
    buildApp(app);
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  test('the opt-in access logs and narrowed ingress need no acknowledgment', () => {
    const env = createTestEnvironment();
    const logs = s3.Bucket.fromBucketName(env.stack, 'LogBucket', 'efsink-access-logs-123456789012');
    new FirehoseS3ToEfs(env.stack, 'S3Path', {
      vpc: env.vpc,
      fileSystem: env.fileSystem,
      entry: FIXTURE_ENTRIES.s3Sqs,
      assembler: { entry: FIXTURE_ENTRIES.assemble },
      serverAccessLogs: { bucket: logs },
    });
    new FirehoseHttpEndpointToEfs(env.stack, 'HttpPath', {
      vpc: env.vpc,
      fileSystem: env.fileSystem,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/efsink:test'),
      certificate: acm.Certificate.fromCertificateArn(
        env.stack,
        'Certificate',
        'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      ),
      domainName: 'efsink.example.com',
      allowedIngressCidrs: ['203.0.113.0/24'],
      backupBucketServerAccessLogs: { bucket: logs },
      loadBalancerAccessLogs: { bucket: logs, prefix: 'alb' },
    });
    const app = env.stack.node.root as App;
    expect(unacknowledgedFindings(app)).toEqual([]);
    const { violations } = new AwsSolutionsChecks().validateScope(app);
    expect(violations).toEqual([]);
  });
});

describe('cdk-nag registration', () => {
  test('an unacknowledged error fails the example app synthesis, naming rule and resource', () => {
    const app = new App({ context: { ...NO_BUNDLING, example: 'true', paths: 'firehose-s3' } });
    buildApp(app);
    const stack = app.node.findChild('EfsinkFirehoseS3') as Stack;
    new s3.Bucket(stack, 'UnreviewedBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1[\s\S]*EfsinkFirehoseS3\/UnreviewedBucket/);
  });

  test('the findings helper sees errors and warnings', () => {
    const app = new App();
    new s3.Bucket(new Stack(app, 'Plain'), 'UnreviewedBucket');
    expect(unacknowledgedFindings(app)).toEqual(
      expect.arrayContaining(['error AwsSolutions-S1 at Plain/UnreviewedBucket/Resource']),
    );
  });
});
