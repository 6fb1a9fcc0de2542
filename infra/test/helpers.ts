import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');

/** Stub handler entries: the real ones live in src/lambda and may not exist yet. */
export const FIXTURE_ENTRIES = {
  cloudwatch: join(fixtures, 'cloudwatch-logs-handler.ts'),
  s3Sqs: join(fixtures, 's3-sqs-handler.ts'),
  assemble: join(fixtures, 'assemble-handler.ts'),
} as const;

export interface TestEnvironment {
  readonly stack: Stack;
  readonly vpc: ec2.IVpc;
  readonly fileSystem: efs.IFileSystem;
  readonly fileSystemSecurityGroup: ec2.ISecurityGroup;
}

/**
 * A stack with an imported VPC and EFS file system, built offline (no lookups). Bundling is skipped
 * (`aws:cdk:bundling-stacks: []`, as `cdk synth --exclusively` does for other stacks) unless `bundle`
 * is set: each esbuild run costs a process spawn, and only bundling.test.ts is about bundles.
 */
export function createTestEnvironment(options: { bundle?: boolean } = {}): TestEnvironment {
  const app = new App(options.bundle === true ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.20.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    publicSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
    publicSubnetRouteTableIds: ['rtb-0bbbbbbbbbbbbbbb1', 'rtb-0bbbbbbbbbbbbbbb2'],
  });
  const fileSystemSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(
    stack,
    'EfsSecurityGroup',
    'sg-0ccccccccccccccc1',
  );
  const fileSystem = efs.FileSystem.fromFileSystemAttributes(stack, 'Efs', {
    fileSystemId: 'fs-0123456789abcdef0',
    securityGroup: fileSystemSecurityGroup,
  });
  return { stack, vpc, fileSystem, fileSystemSecurityGroup };
}
