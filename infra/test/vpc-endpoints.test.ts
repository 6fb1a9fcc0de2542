import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { EfsinkVpcEndpoints } from '../lib/vpc-endpoints.js';
import { createTestEnvironment } from './helpers.js';

describe('EfsinkVpcEndpoints', () => {
  test('adds an S3 gateway endpoint on the private route tables and the chosen interface endpoints', () => {
    // GIVEN
    const env = createTestEnvironment();
    // WHEN
    new EfsinkVpcEndpoints(env.stack, 'Endpoints', {
      vpc: env.vpc,
      subnets: { subnets: env.vpc.privateSubnets },
      interfaceServices: ['logs', 'sqs', 'secretsmanager', 'firehose', 'ecr', 'logs'],
    });
    // THEN
    const template = Template.fromStack(env.stack);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      RouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    });
    const interfaceServices = Object.values(template.findResources('AWS::EC2::VPCEndpoint'))
      .map((e) => (e as { Properties: { VpcEndpointType?: string; ServiceName: unknown } }).Properties)
      .filter((p) => p.VpcEndpointType === 'Interface')
      .map((p) => JSON.stringify(p.ServiceName));
    expect(interfaceServices).toHaveLength(6);
    for (const name of ['logs', 'sqs', 'secretsmanager', 'kinesis-firehose', 'ecr.api', 'ecr.dkr']) {
      expect(interfaceServices.some((s) => s.includes(`.${name}`))).toBe(true);
    }
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [
        {
          CidrIp: '10.20.0.0/16',
          FromPort: 443,
          ToPort: 443,
          IpProtocol: 'tcp',
          Description: 'HTTPS to the AWS API from inside the VPC',
        },
      ],
    });
  });

  test('creates nothing but the gateway by default', () => {
    const env = createTestEnvironment();
    new EfsinkVpcEndpoints(env.stack, 'Endpoints', { vpc: env.vpc });
    Template.fromStack(env.stack).resourceCountIs('AWS::EC2::VPCEndpoint', 1);
  });
});
