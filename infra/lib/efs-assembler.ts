import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../src/config/env-names.js';
import { METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../../src/observability/metrics.js';
import { EfsAccess, type EfsTargetProps } from './efs-access.js';
import { createEfsinkFunction, type EfsinkFunctionOptions } from './efsink-function.js';
import { ConstructConfigError } from './errors.js';
import {
  alarmAtLeast,
  createDeadLetterQueue,
  type EfsinkAlarmOptions,
  functionAlarms,
  queueDepthAlarm,
} from './monitoring.js';
import { validateDurationSeconds } from './validation.js';

/**
 * Metric the assembler is expected to publish (Powertools EMF: namespace `efsink`, default `service`
 * dimension) with the age of the oldest segment not yet assembled. Missing data does not alarm.
 */
export const OLDEST_SEGMENT_AGE_METRIC = {
  namespace: METRICS_NAMESPACE,
  metricName: MetricName.oldestUnassembledSegmentAgeSeconds,
  dimensionsMap: { service: METRICS_SERVICE.assembler },
} as const;

/** Assembler settings a path construct passes through. */
export interface EfsAssemblerOptions extends EfsinkFunctionOptions, EfsinkAlarmOptions {
  /**
   * Absolute path of an entry file for the assembler (TypeScript or JavaScript, exports `handler`),
   * bundled at synth by the app's esbuild instead of the prebuilt handler.
   * @default - the prebuilt `dist/lambda/assemble-handler/` bundle of the efsink package
   */
  readonly entry?: string;
  /**
   * Time between assembly passes (EventBridge schedule), 1 minute to 1 day.
   * @default Duration.minutes(5)
   */
  readonly interval?: Duration;
  /**
   * Timeout of one pass. Must be shorter than `interval`, so that with reserved concurrency 1 a pass
   * never overlaps the next (an overlapping invoke would be throttled and retried).
   * @default Duration.minutes(4)
   */
  readonly timeout?: Duration;
  /**
   * Memory of the assembler function, 128-10240 MB.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * How long an assembly lease is valid without renewal (`EFSINK_LEASE_SECONDS`), 2-3600 s. The
   * assembler renews it at half-life, so this bounds how long a killed pass blocks the next one.
   * @default - not set: the handler's default (30 s)
   */
  readonly lease?: Duration;
  /**
   * Alarm when the oldest unassembled segment is older than this (the hourly files are late).
   * @default Duration.hours(2)
   */
  readonly maxSegmentAge?: Duration;
}

/** Props of {@link EfsAssembler}. */
export interface EfsAssemblerProps extends EfsTargetProps, EfsAssemblerOptions {}

/**
 * The scheduled assembly pass: a VPC function with the EFS access point mounted, reserved concurrency
 * 1 (at most one assembler at a time; the lease in the file system is the real fence), an EventBridge
 * schedule, an on-failure queue and alarms (errors, throttles, failed passes, late segments).
 */
export class EfsAssembler extends Construct {
  readonly function: lambda.Function;
  /** Receives the schedule events whose pass failed (Lambda on-failure destination). */
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];
  /** Age of the oldest unassembled segment, as published by the assembler. */
  readonly segmentAgeMetric: cloudwatch.IMetric;

  constructor(scope: Construct, id: string, props: EfsAssemblerProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.minutes(5);
    const timeout = props.timeout ?? Duration.minutes(4);
    validateDurationSeconds(this, 'interval', interval, 60, 86_400);
    validateDurationSeconds(this, 'timeout', timeout, 1, 900);
    if (!interval.isUnresolved() && !timeout.isUnresolved() && timeout.toSeconds() >= interval.toSeconds()) {
      throw new ConstructConfigError(
        'VALUE_OUT_OF_RANGE',
        this.node.path,
        `timeout is ${timeout.toSeconds()} s but must be shorter than interval (${interval.toSeconds()} s)`,
      );
    }
    validateDurationSeconds(this, 'lease', props.lease, 2, 3600);

    const efs = new EfsAccess(this, 'Efs', props);
    this.function = createEfsinkFunction(this, 'Function', {
      ...props,
      efs,
      handler: 'assemble-handler',
      ...(props.entry === undefined ? {} : { entry: props.entry }),
      description: 'efsink: assemble landed segments into the hourly files',
      timeout,
      memorySize: props.memorySize ?? 1024,
      reservedConcurrentExecutions: 1,
      environment: props.lease === undefined ? {} : { [ENV.leaseSeconds]: String(props.lease.toSeconds()) },
    });

    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue');
    // A missed pass is repaired by the next one, so no retries; the failure still lands in the queue.
    this.function.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      onFailure: new lambdaDestinations.SqsDestination(this.deadLetterQueue),
    });
    new events.Rule(this, 'Schedule', {
      description: 'efsink: run an assembly pass',
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2 })],
    });

    const segmentAge = new cloudwatch.Metric({
      ...OLDEST_SEGMENT_AGE_METRIC,
      dimensionsMap: { ...OLDEST_SEGMENT_AGE_METRIC.dimensionsMap },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
    this.segmentAgeMetric = segmentAge;
    const maxSegmentAge = props.maxSegmentAge ?? Duration.hours(2);
    const lateSegments = alarmAtLeast(
      this,
      'SegmentAgeAlarm',
      segmentAge,
      maxSegmentAge.toSeconds(),
      `efsink: a segment has waited longer than ${maxSegmentAge.toHumanString()} to be assembled`,
      props.alarmTopic,
    );
    this.alarms = [
      ...functionAlarms(this, 'Assembler', this.function, props.alarmTopic),
      queueDepthAlarm(
        this,
        'AssemblerOnFailureQueueAlarm',
        this.deadLetterQueue,
        'efsink: a scheduled assembly pass failed (its schedule event is in the on-failure queue); the next pass retries',
        props.alarmTopic,
      ),
      lateSegments,
    ];
  }
}

/**
 * Props for the assembler a path construct creates: the path's EFS target and shared options, the
 * path's access point, then the assembler-specific overrides.
 */
export function assemblerProps(
  parent: EfsTargetProps & EfsinkFunctionOptions & EfsinkAlarmOptions,
  efs: EfsAccess,
  options: EfsAssemblerOptions | undefined,
): EfsAssemblerProps {
  const shared: EfsAssemblerProps = {
    vpc: parent.vpc,
    fileSystem: parent.fileSystem,
    accessPoint: efs.accessPoint,
    mountPath: efs.mountPath,
    ...(parent.vpcSubnets === undefined ? {} : { vpcSubnets: parent.vpcSubnets }),
    ...(parent.architecture === undefined ? {} : { architecture: parent.architecture }),
    ...(parent.nodeVersion === undefined ? {} : { nodeVersion: parent.nodeVersion }),
    ...(parent.logRetention === undefined ? {} : { logRetention: parent.logRetention }),
    ...(parent.pathTemplate === undefined ? {} : { pathTemplate: parent.pathTemplate }),
    ...(parent.segmentRetention === undefined ? {} : { segmentRetention: parent.segmentRetention }),
    ...(parent.sealAfter === undefined ? {} : { sealAfter: parent.sealAfter }),
    ...(parent.maxDecompressedBytes === undefined
      ? {}
      : { maxDecompressedBytes: parent.maxDecompressedBytes }),
    ...(parent.alarmTopic === undefined ? {} : { alarmTopic: parent.alarmTopic }),
  };
  return { ...shared, ...options };
}
