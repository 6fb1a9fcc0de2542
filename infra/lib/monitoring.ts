import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledgeNag } from './nag.js';

/** Alarm settings shared by every efsink construct. */
export interface EfsinkAlarmOptions {
  /**
   * Topic notified when any alarm of the construct changes to ALARM (and back to OK).
   * @default - alarms are created without actions; watch them in the console or the dashboard
   */
  readonly alarmTopic?: sns.ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);

/** An alarm that fires when `metric` (summed over 5 minutes) is at least 1. */
export function alarmOnAny(
  scope: Construct,
  id: string,
  metric: cloudwatch.IMetric,
  description: string,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm {
  return alarmAtLeast(scope, id, metric, 1, description, topic);
}

/** An alarm that fires when one period of `metric` is at least `threshold`; missing data is OK. */
export function alarmAtLeast(
  scope: Construct,
  id: string,
  metric: cloudwatch.IMetric,
  threshold: number,
  description: string,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  });
  if (topic !== undefined) {
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    alarm.addOkAction(new cloudwatchActions.SnsAction(topic));
  }
  return alarm;
}

/** Errors and throttles of a function. */
export function functionAlarms(
  scope: Construct,
  id: string,
  fn: lambda.IFunction,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm[] {
  return [
    alarmOnAny(
      scope,
      `${id}ErrorsAlarm`,
      fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      `efsink ${id}: the function failed at least once in 5 minutes`,
      topic,
    ),
    alarmOnAny(
      scope,
      `${id}ThrottlesAlarm`,
      fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      `efsink ${id}: invocations were throttled in 5 minutes`,
      topic,
    ),
  ];
}

/**
 * Alarms for asynchronously invoked functions: events dropped without reaching the on-failure
 * destination, and failures to deliver to that destination.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#async-invocation-metrics
 */
export function asyncInvocationAlarms(
  scope: Construct,
  id: string,
  fn: lambda.IFunction,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm[] {
  return ['AsyncEventsDropped', 'DestinationDeliveryFailures'].map((metricName) =>
    alarmOnAny(
      scope,
      `${id}${metricName}Alarm`,
      fn.metric(metricName, { period: FIVE_MINUTES, statistic: 'Sum' }),
      `efsink ${id}: ${metricName} >= 1 in 5 minutes: events were lost`,
      topic,
    ),
  );
}

/** Fires as soon as a dead-letter queue holds a message: each one is a delivery unit not on EFS. */
export function queueDepthAlarm(
  scope: Construct,
  id: string,
  queue: sqs.IQueue,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm {
  return alarmOnAny(
    scope,
    id,
    queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
    'efsink: a dead-letter queue holds failed deliveries; inspect, fix, then redrive',
    topic,
  );
}

/** A dead-letter queue: encrypted, TLS-only, keeps messages for the SQS maximum of 14 days. */
export function createDeadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeNag(
    queue,
    'AwsSolutions-SQS3',
    'This queue is itself the end of the failure path (a Lambda on-failure destination or a redrive ' +
      'target): it keeps failed events 14 days for inspection and replay and alarms on depth. A ' +
      'dead-letter queue behind it would only move the same messages once more.',
  );
  return queue;
}

/** What {@link createEfsinkDashboard} draws. */
export interface EfsinkDashboardContent {
  /** Functions to graph (invocations, errors, throttles, duration). */
  readonly functions: readonly lambda.IFunction[];
  /** Queues whose visible messages are graphed. */
  readonly queues: readonly sqs.IQueue[];
  /** Alarms shown in the status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /**
   * More metrics for the backlog graph.
   * @default - none
   */
  readonly extraMetrics?: readonly cloudwatch.IMetric[];
}

/** One dashboard per path: alarm states, function activity, queue depths. */
export function createEfsinkDashboard(
  scope: Construct,
  id: string,
  content: EfsinkDashboardContent,
): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, id);
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...content.alarms], width: 24 }),
  );
  for (const fn of content.functions) {
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${fn.node.path}: invocations, errors, throttles`,
        left: [fn.metricInvocations(), fn.metricErrors(), fn.metricThrottles()],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: `${fn.node.path}: duration`,
        left: [fn.metricDuration({ statistic: 'p99' }), fn.metricDuration({ statistic: 'Maximum' })],
        width: 12,
      }),
    );
  }
  const queueMetrics = content.queues.map((queue) =>
    queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
  );
  const extra = [...queueMetrics, ...(content.extraMetrics ?? [])];
  if (extra.length > 0) {
    dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Queues and backlog', left: extra, width: 24 }));
  }
  return dashboard;
}

/**
 * AWS's recommended Firehose alarms: data freshness above the 15-minute buffering limit (delivery is
 * falling behind or failing) and throttled records (API Gateway's puts are being rejected).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html
 */
export function firehoseAlarms(
  scope: Construct,
  id: string,
  deliveryStreamName: string,
  destination: 'DeliveryToS3' | 'DeliveryToHttpEndpoint',
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm[] {
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: deliveryStreamName },
      statistic,
      period: FIVE_MINUTES,
    });
  return [
    alarmAtLeast(
      scope,
      `${id}DataFreshnessAlarm`,
      metric(`${destination}.DataFreshness`, 'Maximum'),
      900,
      `efsink ${id}: Firehose holds records older than 15 minutes (${destination} failing or behind)`,
      topic,
    ),
    alarmOnAny(
      scope,
      `${id}ThrottledRecordsAlarm`,
      metric('ThrottledRecords', 'Sum'),
      `efsink ${id}: Firehose throttled incoming records (access log lines lost at the source)`,
      topic,
    ),
  ];
}
