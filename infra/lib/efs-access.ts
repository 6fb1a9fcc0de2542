import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { validateMountPath } from './validation.js';

/** Where efsink's writers find the file system. Shared by every path construct and the assembler. */
export interface EfsTargetProps {
  /**
   * The existing VPC that holds the file system's mount targets. Functions and tasks are attached to it
   * and need a mount target in each of their Availability Zones.
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-filesystem.html
   */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the functions (or tasks). They reach AWS APIs only through VPC endpoints or a NAT.
   * @default - the VPC's private subnets (CDK's default selection for VPC-attached functions)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The existing EFS file system, imported with its security group
   * (`FileSystem.fromFileSystemAttributes({ fileSystemId, securityGroup })`). An ingress rule for
   * NFS (TCP 2049) from each writer's security group is added to that security group.
   */
  readonly fileSystem: efs.IFileSystem;
  /**
   * An existing access point on `fileSystem` to write through.
   * @default - a new access point rooted at `rootDirectory`, acting as `posixUser`
   */
  readonly accessPoint?: efs.IAccessPoint;
  /**
   * Root directory of the created access point; efsink's segments land in `<root>/.efsink/`.
   * Ignored when `accessPoint` is given.
   * @default '/efsink' (created with owner `posixUser` and mode 750 if missing)
   */
  readonly rootDirectory?: string;
  /**
   * POSIX identity every write goes through. Ignored when `accessPoint` is given.
   * @default uid 1001, gid 1001 (the example identity in the Lambda EFS guide)
   * @see https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html
   */
  readonly posixUser?: efs.PosixUser;
  /**
   * Where the file system is mounted inside functions and containers; also `EFSINK_ROOT`.
   * Must be `/mnt/<name>` (Lambda's `LocalMountPath` pattern), at most 160 characters.
   * @default '/mnt/efsink'
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_FileSystemConfig.html
   */
  readonly mountPath?: string;
}

/** Default POSIX identity: the example in the Lambda EFS guide. */
export const DEFAULT_POSIX_USER: efs.PosixUser = { uid: '1001', gid: '1001' };
export const DEFAULT_MOUNT_PATH = '/mnt/efsink';
export const DEFAULT_ROOT_DIRECTORY = '/efsink';

/**
 * A Lambda file-system mount whose IAM policy is scoped to the file system ARN, instead of CDK's
 * `FileSystem.fromEfsAccessPoint`, which grants `elasticfilesystem:ClientMount` on `*`.
 */
class ScopedEfsMount extends lambda.FileSystem {
  constructor(config: lambda.FileSystemConfig) {
    super(config);
  }
}

/**
 * Resolves (or creates) the access point, and hands out the Lambda mount, the ECS volume settings and
 * the least-privilege IAM statement for writers of one efsink root.
 */
export class EfsAccess extends Construct {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection | undefined;
  readonly fileSystem: efs.IFileSystem;
  readonly accessPoint: efs.IAccessPoint;
  readonly mountPath: string;

  constructor(scope: Construct, id: string, props: EfsTargetProps) {
    super(scope, id);
    this.mountPath = props.mountPath ?? DEFAULT_MOUNT_PATH;
    validateMountPath(this, this.mountPath);
    this.vpc = props.vpc;
    this.vpcSubnets = props.vpcSubnets;
    this.fileSystem = props.fileSystem;
    const posixUser = props.posixUser ?? DEFAULT_POSIX_USER;
    this.accessPoint =
      props.accessPoint ??
      new efs.AccessPoint(this, 'AccessPoint', {
        fileSystem: props.fileSystem,
        path: props.rootDirectory ?? DEFAULT_ROOT_DIRECTORY,
        posixUser,
        createAcl: { ownerUid: posixUser.uid, ownerGid: posixUser.gid, permissions: '750' },
      });
  }

  /** ARN of the file system, for IAM resources. */
  get fileSystemArn(): string {
    return Stack.of(this).formatArn({
      service: 'elasticfilesystem',
      resource: 'file-system',
      resourceName: this.fileSystem.fileSystemId,
    });
  }

  /**
   * `ClientMount` + `ClientWrite` on this file system only, and only through this access point. Matters
   * when the file system has a resource policy (then IAM authorization is enforced).
   * @see https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
   */
  clientStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      resources: [this.fileSystemArn],
      conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': this.accessPoint.accessPointArn } },
    });
  }

  /** The `filesystem` prop for a Lambda function; also opens TCP 2049 from the function's SG. */
  lambdaFileSystem(): lambda.FileSystem {
    return new ScopedEfsMount({
      localMountPath: this.mountPath,
      arn: this.accessPoint.accessPointArn,
      dependency: [this.fileSystem.mountTargetsAvailable],
      connections: this.fileSystem.connections,
      policies: [this.clientStatement()],
    });
  }
}

/**
 * Security group of an EFS writer (function or task): no inbound, outbound only HTTPS (AWS APIs via
 * VPC endpoints or NAT) plus the NFS rule to the file system that mounting adds.
 */
export function createWriterSecurityGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  description: string,
): ec2.SecurityGroup {
  const securityGroup = new ec2.SecurityGroup(scope, id, {
    vpc,
    description: `${description}: NFS to EFS, HTTPS to AWS APIs`,
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(
    ec2.Peer.anyIpv4(),
    ec2.Port.tcp(443),
    'HTTPS to AWS APIs (VPC endpoints or NAT)',
  );
  return securityGroup;
}
