import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { buildApp } from '../bin/app.js';
import { envName, readDeployConfig } from '../bin/deploy-config.js';
import { expectNoWildcardEfsResources } from './template-checks.js';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function templates(app: App): Map<string, Template> {
  return new Map(
    app.node.children
      .filter((c): c is Stack => Stack.isStack(c))
      .map((s) => [s.stackName, Template.fromStack(s)]),
  );
}

describe('example app', () => {
  test('synthesizes every path whose handler exists offline from placeholder ids', () => {
    // GIVEN example mode and no AWS environment
    const app = new App({ context: { ...NO_BUNDLING, example: 'true' } });
    // WHEN
    buildApp(app);
    const byName = templates(app);
    // THEN every stack is there and every function meets the deployment targets
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['EfsinkCloudWatchLogs', 'EfsinkFirehoseS3', 'EfsinkFirehoseHttp']),
    );
    for (const [name, template] of byName) {
      const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
        (f) => (f as { Properties: Record<string, unknown> }).Properties,
      );
      for (const fn of functions) {
        expect(fn.Runtime, name).toBe('nodejs22.x');
        expect(fn.VpcConfig, name).toBeDefined();
        expect(fn.FileSystemConfigs, name).toHaveLength(1);
        expect(fn.Timeout, name).toBeGreaterThan(0);
        expect(fn.MemorySize, name).toBeGreaterThan(0);
      }
      if (functions.length > 0) expectNoWildcardEfsResources(template);
      expectFailureDestinationForEveryFunction(template);
    }
    // and the only warning is the deliberate "placeholder ids" one
    for (const stack of app.node.children.filter((c): c is Stack => Stack.isStack(c))) {
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
      expect(warnings.map((w) => String(w.entry.data))).toEqual([expect.stringContaining('placeholder ids')]);
    }
  });

  test('imports the VPC, subnets and file system security group from context', () => {
    const app = new App({
      context: {
        ...NO_BUNDLING,
        paths: 'firehose-http',
        vpcId: 'vpc-0123456789abcdef1',
        availabilityZones: 'eu-central-1a,eu-central-1b',
        privateSubnetIds: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2',
        publicSubnetIds: 'subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2',
        fileSystemId: 'fs-0123456789abcdef1',
        securityGroupId: 'sg-0123456789abcdef1',
        certificateArn: 'arn:aws:acm:eu-central-1:111111111111:certificate/abc',
        domainName: 'logs.example.org',
        receiverImage: '111111111111.dkr.ecr.eu-central-1.amazonaws.com/efsink:1.0.0',
        account: '111111111111',
        region: 'eu-central-1',
      },
    });
    buildApp(app);
    const template = templates(app).get('EfsinkFirehoseHttp');
    expect(template).toBeDefined();
    template?.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0123456789abcdef1',
      FromPort: 2049,
    });
    template?.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'DISABLED',
          Subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
        }),
      },
    });
    const json = JSON.stringify(template?.toJSON());
    expect(json).toContain('.dkr.ecr.eu-central-1.');
    expect(json).toContain('efsink:1.0.0');
  });

  test('fails listing every missing setting when not in example mode', () => {
    const app = new App({ context: { paths: 'cloudwatch' } });
    expect(() => readDeployConfig(app, {})).toThrowError(
      /missing settings vpcId, availabilityZones, privateSubnetIds, fileSystemId, securityGroupId, logGroupName/,
    );
  });

  test('reads settings from EFSINK_* environment variables', () => {
    expect(envName('privateSubnetIds')).toBe('EFSINK_PRIVATE_SUBNET_IDS');
    const app = new App({ context: { paths: 'cloudwatch', example: 'true' } });
    const config = readDeployConfig(app, { EFSINK_VPC_ID: 'vpc-from-env' });
    expect(config.vpcId).toBe('vpc-from-env');
  });

  test('fails on an unknown path', () => {
    const app = new App({ context: { paths: 'kinesis' } });
    expect(() => readDeployConfig(app, {})).toThrowError(/unknown path "kinesis"/);
  });
});

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Each function has an async on-failure destination, or is fed by a queue that has a redrive policy. */
function expectFailureDestinationForEveryFunction(template: Template): void {
  const resources = template.toJSON().Resources as Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  for (const [id] of ofType('AWS::Lambda::Function')) {
    const refersTo = (value: unknown) => JSON.stringify(value) === JSON.stringify({ Ref: id });
    const asyncDestination = ofType('AWS::Lambda::EventInvokeConfig').some(
      ([, r]) =>
        refersTo(r.Properties.FunctionName) &&
        (r.Properties.DestinationConfig as { OnFailure?: unknown } | undefined)?.OnFailure !== undefined,
    );
    const redrivenQueue = ofType('AWS::Lambda::EventSourceMapping').some(([, r]) => {
      if (!refersTo(r.Properties.FunctionName)) return false;
      const queueId = (r.Properties.EventSourceArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      return resources[queueId]?.Properties.RedrivePolicy !== undefined;
    });
    expect(asyncDestination || redrivenQueue, `${id} has no failure destination or DLQ`).toBe(true);
  }
}
