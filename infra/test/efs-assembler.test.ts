import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, test } from 'vitest';
import { EfsAssembler, type EfsAssemblerProps } from '../lib/efs-assembler.js';
import type { ConstructConfigError } from '../lib/errors.js';
import { createTestEnvironment, FIXTURE_ENTRIES, type TestEnvironment } from './helpers.js';
import { expectEfsMountedFunctions, expectNoWildcardEfsResources } from './template-checks.js';

function build(
  overrides: Partial<EfsAssemblerProps> | ((env: TestEnvironment) => Partial<EfsAssemblerProps>) = {},
): Template {
  // GIVEN an imported VPC and file system
  const env = createTestEnvironment();
  // WHEN
  new EfsAssembler(env.stack, 'Assembler', {
    vpc: env.vpc,
    fileSystem: env.fileSystem,
    entry: FIXTURE_ENTRIES.assemble,
    ...(typeof overrides === 'function' ? overrides(env) : overrides),
  });
  return Template.fromStack(env.stack);
}

const expectCode = (code: string) => expect.objectContaining({ code }) as ConstructConfigError;

describe('EfsAssembler', () => {
  const template = build();

  test('runs one pass at a time on a 5-minute schedule, mounted like the writers', () => {
    expectEfsMountedFunctions(template, 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Timeout: 240,
      MemorySize: 1024,
      Runtime: 'nodejs22.x',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    expectNoWildcardEfsResources(template);
  });

  test('does not retry a failed pass and records it in the on-failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
      },
    });
  });

  test('alarms when the oldest unassembled segment is older than 2 hours', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'efsink',
      MetricName: 'OldestUnassembledSegmentAgeSeconds',
      Dimensions: [{ Name: 'service', Value: 'efsink-assembler' }],
      Threshold: 7200,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('passes the lease to the handler when given', () => {
    build({ lease: Duration.seconds(45) }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EFSINK_LEASE_SECONDS: '45' }) },
    });
  });

  test('notifies the alarm topic on alarm and recovery', () => {
    const t = build((env) => ({ alarmTopic: new sns.Topic(env.stack, 'Topic') }));
    t.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
    });
  });

  test('fails when the timeout is not shorter than the interval', () => {
    expect(() => build({ interval: Duration.minutes(2), timeout: Duration.minutes(2) })).toThrowError(
      /timeout is 120 s but must be shorter than interval \(120 s\)/,
    );
  });

  test('fails when the lease is outside 2-3600 s', () => {
    expect(() => build({ lease: Duration.hours(2) })).toThrowError(expectCode('VALUE_OUT_OF_RANGE'));
  });
});
