import type { App } from 'aws-cdk-lib';

/** The three ingestion paths the example app can deploy. */
export const PATHS = ['cloudwatch', 'firehose-s3', 'firehose-http'] as const;
export type DeployPath = (typeof PATHS)[number];

/** Everything the example app reads from `-c key=value` or `EFSINK_<KEY>` environment variables. */
export interface DeployConfig {
  readonly example: boolean;
  readonly paths: readonly DeployPath[];
  readonly pathsExplicit: boolean;
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly vpcId: string;
  readonly vpcCidrBlock: string | undefined;
  readonly availabilityZones: readonly string[];
  readonly privateSubnetIds: readonly string[];
  readonly privateSubnetRouteTableIds: readonly string[] | undefined;
  readonly publicSubnetIds: readonly string[];
  readonly fileSystemId: string;
  readonly securityGroupId: string;
  readonly logGroupName: string;
  readonly certificateArn: string;
  readonly domainName: string;
  readonly hostedZoneId: string | undefined;
  readonly hostedZoneName: string | undefined;
  readonly receiverImage: string | undefined;
  readonly vpcEndpoints: readonly string[];
  readonly alarmEmail: string | undefined;
}

/** Placeholder ids used with `-c example=true`: the templates synthesize but do not deploy. */
const EXAMPLE: Record<string, string> = {
  account: '123456789012',
  region: 'eu-west-1',
  vpcId: 'vpc-0e0a0a0a0a0a0a0a1',
  vpcCidrBlock: '10.0.0.0/16',
  availabilityZones: 'eu-west-1a,eu-west-1b',
  privateSubnetIds: 'subnet-0e0a0a0a0a0a0a0a1,subnet-0e0a0a0a0a0a0a0a2',
  privateSubnetRouteTableIds: 'rtb-0e0a0a0a0a0a0a0a1,rtb-0e0a0a0a0a0a0a0a2',
  publicSubnetIds: 'subnet-0e0a0a0a0a0a0a0a3,subnet-0e0a0a0a0a0a0a0a4',
  fileSystemId: 'fs-0e0a0a0a0a0a0a0a1',
  securityGroupId: 'sg-0e0a0a0a0a0a0a0a1',
  logGroupName: '/aws/vendedlogs/apigateway/example-access-logs',
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
  domainName: 'efsink.example.com',
  receiverImage: 'public.ecr.aws/example/efsink:latest',
};

/** `vpcId` → `EFSINK_VPC_ID`. */
export function envName(key: string): string {
  return `EFSINK_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

/** Reads the deploy settings; fails listing every missing one (unless in example mode). */
export function readDeployConfig(app: App, env: NodeJS.ProcessEnv = process.env): DeployConfig {
  const raw = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key) ?? env[envName(key)];
    return value === undefined || value === '' ? undefined : String(value);
  };
  const example = raw('example') === 'true';
  const pathsRaw = raw('paths');
  const paths = parsePaths(pathsRaw ?? 'all');
  const missing: string[] = [];
  const get = (key: string, needed = true): string => {
    const value = raw(key) ?? (example ? EXAMPLE[key] : undefined);
    if (value === undefined) {
      if (needed) missing.push(key);
      return '';
    }
    return value;
  };
  const list = (key: string, needed = true): string[] =>
    get(key, needed)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  const wants = (path: DeployPath): boolean => paths.includes(path);
  const config: DeployConfig = {
    example,
    paths,
    pathsExplicit: pathsRaw !== undefined,
    account: raw('account') ?? env.CDK_DEFAULT_ACCOUNT ?? (example ? EXAMPLE.account : undefined),
    region: raw('region') ?? env.CDK_DEFAULT_REGION ?? (example ? EXAMPLE.region : undefined),
    vpcId: get('vpcId'),
    vpcCidrBlock: raw('vpcCidrBlock') ?? (example ? EXAMPLE.vpcCidrBlock : undefined),
    availabilityZones: list('availabilityZones'),
    privateSubnetIds: list('privateSubnetIds'),
    privateSubnetRouteTableIds:
      raw('privateSubnetRouteTableIds') === undefined && !example
        ? undefined
        : list('privateSubnetRouteTableIds', false),
    publicSubnetIds: list('publicSubnetIds', wants('firehose-http')),
    fileSystemId: get('fileSystemId'),
    securityGroupId: get('securityGroupId'),
    logGroupName: get('logGroupName', wants('cloudwatch')),
    certificateArn: get('certificateArn', wants('firehose-http')),
    domainName: get('domainName', wants('firehose-http')),
    hostedZoneId: raw('hostedZoneId'),
    hostedZoneName: raw('hostedZoneName'),
    receiverImage: raw('receiverImage') ?? (example ? EXAMPLE.receiverImage : undefined),
    vpcEndpoints: (raw('vpcEndpoints') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    alarmEmail: raw('alarmEmail'),
  };
  const endpointServices = ['logs', 'sqs', 'secretsmanager', 'firehose', 'ecr'];
  const unknownEndpoints = config.vpcEndpoints.filter((s) => !endpointServices.includes(s));
  if (unknownEndpoints.length > 0) {
    throw new Error(
      `efsink app: unknown vpcEndpoints ${unknownEndpoints.join(', ')}; allowed: ${endpointServices.join(', ')}`,
    );
  }
  if (config.vpcEndpoints.length > 0 && config.vpcCidrBlock === undefined) missing.push('vpcCidrBlock');
  if (missing.length > 0) {
    throw new Error(
      `efsink app: missing settings ${missing.join(', ')}. Pass each as -c key=value or ${missing
        .map(envName)
        .join(', ')}; or -c example=true to synthesize with placeholder ids (see infra/README.md).`,
    );
  }
  return config;
}

function parsePaths(value: string): DeployPath[] {
  if (value === 'all') return [...PATHS];
  const paths = value.split(',').map((s) => s.trim());
  for (const path of paths) {
    if (!(PATHS as readonly string[]).includes(path)) {
      throw new Error(
        `efsink app: unknown path "${path}" in -c paths=...; allowed: all, ${PATHS.join(', ')}`,
      );
    }
  }
  return paths as DeployPath[];
}
