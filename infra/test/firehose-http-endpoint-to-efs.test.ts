import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { describe, expect, test } from 'vitest';
import { receiverConfigFromEnv } from '../../src/config/receiver-config.js';
import { resolveConcurrency } from '../../src/config/receiver-memory.js';
import type { ConstructConfigError } from '../lib/errors.js';
import {
  FirehoseHttpEndpointToEfs,
  type FirehoseHttpEndpointToEfsProps,
} from '../lib/firehose-http-endpoint-to-efs.js';
import { createTestEnvironment, type TestEnvironment } from './helpers.js';
import { expectNoWildcardActions, expectNoWildcardEfsResources } from './template-checks.js';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

function build(
  overrides:
    | Partial<FirehoseHttpEndpointToEfsProps>
    | ((env: TestEnvironment) => Partial<FirehoseHttpEndpointToEfsProps>) = {},
): { env: TestEnvironment; template: Template } {
  // GIVEN an imported VPC, file system and certificate
  const env = createTestEnvironment();
  // WHEN
  new FirehoseHttpEndpointToEfs(env.stack, 'HttpPath', {
    vpc: env.vpc,
    fileSystem: env.fileSystem,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/efsink:test'),
    certificate: acm.Certificate.fromCertificateArn(env.stack, 'Certificate', CERTIFICATE_ARN),
    domainName: 'efsink.example.com',
    deliveryStreamName: 'amazon-apigateway-efsink-http',
    ...(typeof overrides === 'function' ? overrides(env) : overrides),
  });
  return { env, template: Template.fromStack(env.stack) };
}

const expectCode = (code: string) => expect.objectContaining({ code }) as ConstructConfigError;

describe('FirehoseHttpEndpointToEfs', () => {
  const { template } = build();

  test('delivers to https://<domainName>/ with the key from Secrets Manager and S3 backup of failures', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'amazon-apigateway-efsink-http',
      DeliveryStreamType: 'DirectPut',
      HttpEndpointDestinationConfiguration: Match.objectLike({
        EndpointConfiguration: Match.objectLike({
          Url: 'https://efsink.example.com/',
          AccessKey: Match.absent(),
        }),
        SecretsManagerConfiguration: Match.objectLike({
          Enabled: true,
          SecretARN: { Ref: Match.anyValue() },
        }),
        RequestConfiguration: { ContentEncoding: 'GZIP' },
        RetryOptions: { DurationInSeconds: 3600 },
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: Match.objectLike({ Prefix: 'http-endpoint-failed/', CompressionFormat: 'GZIP' }),
      }),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'api_key', PasswordLength: 64 }),
    });
  });

  test('terminates HTTPS on 443 with the certificate and forwards to the container port', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Subnets: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/healthz',
      HealthCheckTimeoutSeconds: 5,
      Matcher: { HttpCode: '200' },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
  });

  test('keeps /metrics off the load balancer: its own port (never forwarded), and a listener rule answering 404', () => {
    // The receiver serves /metrics on EFSINK_METRICS_PORT only.
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([{ Name: 'EFSINK_METRICS_PORT', Value: '9464' }]),
        }),
      ],
    });
    // The only target group is the container port; no ingress rule opens the metrics port.
    const groups = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    expect(groups.map((g) => (g as { Properties: { Port: number } }).Properties.Port)).toEqual([8080]);
    const ingress = JSON.stringify([
      template.findResources('AWS::EC2::SecurityGroupIngress'),
      template.findResources('AWS::EC2::SecurityGroup'),
    ]);
    expect(ingress).not.toContain('9464');
    // The listener answers the path itself, before any forward.
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } }],
      Actions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '404' }),
        }),
      ],
    });
  });

  describe('receiver memory: the concurrency fits the task', () => {
    const envOf = (t: Template) => {
      const defs = Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0] as {
        Properties: { ContainerDefinitions: { Environment: { Name: string; Value: string }[] }[] };
      };
      return Object.fromEntries(
        (defs.Properties.ContainerDefinitions[0]?.Environment ?? []).map((e) => [e.Name, e.Value]),
      );
    };

    test.each([
      [1024, '4'],
      [2048, '8'],
      [512, '1'],
    ])(
      'a %i MiB task gets EFSINK_MAX_CONCURRENT_REQUESTS %s, which the receiver accepts',
      (memoryLimitMiB, expected) => {
        const { template: t } = build({ memoryLimitMiB, cpu: 256 });
        const env = envOf(t);
        expect(env).toMatchObject({
          EFSINK_MEMORY_LIMIT_BYTES: String(memoryLimitMiB * 1024 * 1024),
          EFSINK_MAX_CONCURRENT_REQUESTS: expected,
          EFSINK_MAX_BODY_BYTES: String(14 * 1024 * 1024),
          EFSINK_MAX_DECOMPRESSED_BYTES: String(64 * 1024 * 1024),
          EFSINK_MAX_QUEUED_REQUESTS: '64',
        });
        // The receiver runs the same check at start: it must accept what the construct chose.
        const memory = resolveConcurrency(
          {
            memoryLimitBytes: Number(env.EFSINK_MEMORY_LIMIT_BYTES),
            maxBodyBytes: Number(env.EFSINK_MAX_BODY_BYTES),
            maxDecompressedBytes: Number(env.EFSINK_MAX_DECOMPRESSED_BYTES),
            maxQueuedRequests: Number(env.EFSINK_MAX_QUEUED_REQUESTS),
            requested: Number(env.EFSINK_MAX_CONCURRENT_REQUESTS),
          },
          (code, message) => new Error(`${code}: ${message}`),
        );
        expect(memory.maxConcurrentRequests).toBe(Number(expected));
      },
    );

    test('derives the body limit from the buffer size hint, and takes explicit limits', () => {
      expect(envOf(build({ bufferingSizeMiB: 64 }).template).EFSINK_MAX_BODY_BYTES).toBe(
        String(86 * 1024 * 1024),
      );
      const env = envOf(
        build({
          memoryLimitMiB: 4096,
          cpu: 1024,
          maxRequestBodyBytes: 96 * 1024 * 1024,
          maxConcurrentRequests: 3,
        }).template,
      );
      expect(env).toMatchObject({
        EFSINK_MAX_BODY_BYTES: String(96 * 1024 * 1024),
        EFSINK_MAX_CONCURRENT_REQUESTS: '3',
      });
    });

    test('fails synth when maxConcurrentRequests does not fit memoryLimitMiB, saying what would', () => {
      expect(() => build({ maxConcurrentRequests: 5 })).toThrowError(
        expect.objectContaining({
          code: 'MEMORY_BOUND_EXCEEDED',
          message: expect.stringMatching(/maxConcurrentRequests 5 does not fit the task: .* room for 4/),
        }),
      );
      expect(() => build({ maxRequestBodyBytes: 200 * 1024 * 1024 })).toThrowError(
        expect.objectContaining({
          code: 'MEMORY_BOUND_EXCEEDED',
          message: expect.stringMatching(/not even one request fits/),
        }),
      );
    });
  });

  test('fails when metricsPort is the container port', () => {
    expect(() => build({ metricsPort: 8080 })).toThrowError(expectCode('VALUE_OUT_OF_RANGE'));
  });

  test('mounts EFS through the access point with IAM and transit encryption', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Volumes: [
        {
          Name: 'efs',
          EFSVolumeConfiguration: {
            FilesystemId: 'fs-0123456789abcdef0',
            TransitEncryption: 'ENABLED',
            AuthorizationConfig: {
              AccessPointId: { Ref: Match.stringLikeRegexp('^HttpPathEfsAccessPoint') },
              IAM: 'ENABLED',
            },
          },
        },
      ],
      ContainerDefinitions: [
        Match.objectLike({
          Command: ['serve', '--root', '/mnt/efsink', '--port', '8080'],
          MountPoints: [{ ContainerPath: '/mnt/efsink', SourceVolume: 'efs', ReadOnly: false }],
          Environment: Match.arrayWith([
            { Name: 'EFSINK_ROOT', Value: '/mnt/efsink' },
            { Name: 'EFSINK_METRICS_SERVICE', Value: 'efsink-receiver-amazon-apigateway-efsink-http' },
          ]),
          Secrets: [Match.objectLike({ Name: 'EFSINK_ACCESS_KEY' })],
        }),
      ],
    });
  });

  test('runs the service in private subnets without public IPs and opens NFS 2049 from it', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      // Autoscaling owns the count: a fixed DesiredCount would reset it on every deployment.
      DesiredCount: Match.absent(),
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'DISABLED',
          Subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
        }),
      },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0ccccccccccccccc1',
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
    });
  });

  test('scopes IAM: EFS through the access point, the secret by ARN, no wildcard actions', () => {
    expectNoWildcardEfsResources(template);
    expectNoWildcardActions(template);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: Match.anyValue() } }),
        ]),
      },
    });
  });

  test('alarms on Firehose data freshness, throttling, unhealthy targets and 5xx', () => {
    const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: { MetricName: string } }).Properties.MetricName,
    );
    expect(metrics).toEqual(
      expect.arrayContaining([
        'DeliveryToHttpEndpoint.DataFreshness',
        'ThrottledRecords',
        'UnHealthyHostCount',
        'HTTPCode_Target_5XX_Count',
        'HTTPCode_ELB_5XX_Count',
        'DeliveryToHttpEndpoint.Success',
        'AssemblyFailures',
        'OldestUnassembledSegmentAgeSeconds',
      ]),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'TestStack-HttpPath-DeliveryToHttpEndpointSuccessAlarm',
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToHttpEndpoint.Success',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: 'amazon-apigateway-efsink-http' }],
      Statistic: 'Average',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'efsink',
      MetricName: 'AssemblyFailures',
      Dimensions: [{ Name: 'service', Value: 'efsink-receiver-amazon-apigateway-efsink-http' }],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OldestUnassembledSegmentAgeSeconds',
      Statistic: 'Maximum',
      Threshold: 7200,
    });
  });

  test('autoscales on CPU and on requests per target between minTasks and maxTasks', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
        TargetValue: 300,
      }),
    });
    const { template: t } = build({
      minTasks: 3,
      maxTasks: 7,
      targetCpuUtilizationPercent: 45,
      targetRequestsPerTask: 90,
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 3,
      MaxCapacity: 7,
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 45 }),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 90 }),
    });
    expect(() => build({ minTasks: 5, maxTasks: 4 })).toThrowError(expectCode('VALUE_OUT_OF_RANGE'));
  });

  test('checks the container with GET /healthz through node (the image may have no curl)', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          HealthCheck: Match.objectLike({
            Command: [
              'CMD',
              'node',
              '-e',
              Match.stringLikeRegexp("^fetch\\('http://127\\.0\\.0\\.1:8080/healthz'\\)"),
            ],
            Interval: 15,
            Retries: 3,
          }),
        }),
      ],
    });
  });

  test('passes logGroup to the receiver as EFSINK_LOG_GROUP, and refuses an empty one', () => {
    const { template: t } = build({ logGroup: 'api-access' });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([{ Name: 'EFSINK_LOG_GROUP', Value: 'api-access' }]),
        }),
      ],
    });
    expect(() => build({ logGroup: '' })).toThrowError(expectCode('LOG_GROUP_INVALID'));
  });

  test('draws a dashboard: throughput, lag, failures by code, duplicates, load balancer and tasks', () => {
    const bodies = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map((d) =>
      JSON.stringify((d as { Properties: unknown }).Properties),
    );
    expect(bodies).toHaveLength(1);
    for (const text of [
      'EventsReceived',
      'BytesWritten',
      'OldestUnassembledSegmentAgeSeconds',
      'DeliveryToHttpEndpoint.DataFreshness',
      'MetricName=\\\\\\"Failures\\\\\\"',
      'DuplicateUnits',
      'HTTPCode_ELB_5XX_Count',
      'UnHealthyHostCount',
      'CPUUtilization',
    ])
      expect(bodies[0]).toContain(text);
  });

  test('creates an alias record when given a hosted zone', () => {
    const { template: t } = build((env) => ({
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(env.stack, 'Zone', {
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        zoneName: 'example.com',
      }),
    }));
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'efsink.example.com.', Type: 'A' });
  });

  test('fails when the stream name lacks the amazon-apigateway- prefix', () => {
    expect(() => build({ deliveryStreamName: 'efsink-http' })).toThrowError(
      expectCode('DELIVERY_STREAM_NAME_PREFIX'),
    );
  });

  test('fails when domainName is a URL rather than a host name', () => {
    expect(() => build({ domainName: 'https://efsink.example.com/' })).toThrowError(
      expectCode('ENDPOINT_URL_INVALID'),
    );
  });

  test('fails when the HTTP buffer is over 64 MiB', () => {
    expect(() => build({ bufferingSizeMiB: 65 })).toThrowError(expectCode('VALUE_OUT_OF_RANGE'));
  });

  test.each([
    ['the default', undefined, 180],
    ['a custom idle timeout', Duration.seconds(600), 600],
  ] as const)(
    'gives the receiver a keep-alive timeout longer than the load balancer idle timeout (%s)',
    (_n, idleTimeout, idleSeconds) => {
      const { template } = build(idleTimeout === undefined ? {} : { idleTimeout });
      const lb = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0] as {
        Properties: { LoadBalancerAttributes: { Key: string; Value: string }[] };
      };
      const idle = lb.Properties.LoadBalancerAttributes.find((a) => a.Key === 'idle_timeout.timeout_seconds');
      expect(Number(idle?.Value)).toBe(idleSeconds);
      const task = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as {
        Properties: { ContainerDefinitions: { Environment: { Name: string; Value: string }[] }[] };
      };
      const env = task.Properties.ContainerDefinitions[0]?.Environment ?? [];
      const keepAlive = env.find((e) => e.Name === 'EFSINK_KEEP_ALIVE_TIMEOUT_SECONDS');
      expect(Number(keepAlive?.Value)).toBeGreaterThan(idleSeconds);
      // What the receiver does with it: the same loader `efsink serve` uses.
      const config = receiverConfigFromEnv({
        EFSINK_ACCESS_KEY: 'k',
        EFSINK_KEEP_ALIVE_TIMEOUT_SECONDS: keepAlive?.Value,
      });
      expect(config.keepAliveTimeoutSeconds).toBeGreaterThan(idleSeconds);
    },
  );

  test('fails when the idle timeout is outside 1-4000 s', () => {
    expect(() => build({ idleTimeout: Duration.seconds(4001) })).toThrowError(
      expectCode('VALUE_OUT_OF_RANGE'),
    );
  });
});
