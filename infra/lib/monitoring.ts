import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  ERROR_CODE_DIMENSION,
  METRICS_NAMESPACE,
  MetricName,
  type MetricNameValue,
} from '../../src/observability/metrics.js';
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

/** Where each alarm's entry is: a `### <alarm construct id>` heading (infra/test/runbook.test.ts). */
export const RUNBOOK = 'docs/runbook.md';

/**
 * `<stack name>-<construct path in the stack>`, e.g. `EfsinkFirehoseHttp-HttpPath-UnhealthyTargetsAlarm`:
 * unique in an account and Region (stack names are), readable on a page, and its last segment (the
 * alarm's construct id) is the heading of its entry in docs/runbook.md.
 */
function alarmNameOf(scope: Construct, id: string): string {
  const stack = Stack.of(scope);
  const path = scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id);
  return [stack.stackName, ...path, id].join('-').slice(0, 255);
}

function createAlarm(
  scope: Construct,
  id: string,
  props: {
    metric: cloudwatch.IMetric;
    threshold: number;
    comparisonOperator: cloudwatch.ComparisonOperator;
    description: string;
  },
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: alarmNameOf(scope, id),
    metric: props.metric,
    threshold: props.threshold,
    evaluationPeriods: 1,
    comparisonOperator: props.comparisonOperator,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: `${props.description}. Runbook: ${RUNBOOK}#${id.toLowerCase()}`,
  });
  if (topic !== undefined) {
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    alarm.addOkAction(new cloudwatchActions.SnsAction(topic));
  }
  return alarm;
}

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
  return createAlarm(
    scope,
    id,
    {
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description,
    },
    topic,
  );
}

/** An alarm that fires when one period of `metric` is below `threshold`; missing data is OK. */
export function alarmBelow(
  scope: Construct,
  id: string,
  metric: cloudwatch.IMetric,
  threshold: number,
  description: string,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm {
  return createAlarm(
    scope,
    id,
    { metric, threshold, comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, description },
    topic,
  );
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
  description: string,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm {
  return alarmOnAny(
    scope,
    id,
    queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
    description,
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

/**
 * One of the metrics efsink publishes itself (namespace `efsink`, dimension `service`): EMF from the
 * Lambda handlers and from the receiver (docs/ARCHITECTURE.md, "Telemetry").
 */
export function efsinkMetric(
  name: MetricNameValue,
  service: string,
  statistic: 'Sum' | 'Maximum',
  period: Duration = FIVE_MINUTES,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service },
    statistic,
    period,
  });
}

/**
 * Every `Failures` time series of the given services, one line per `errorCode`: the codes are only
 * known at run time, so a search expression finds them.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
 */
export function failuresByCode(services: readonly string[]): cloudwatch.IMetric {
  const which = services.map((s) => `service="${s}"`).join(' OR ');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${ERROR_CODE_DIMENSION},service} MetricName="${MetricName.failures}" (${which})', 'Sum', 300)`,
    usingMetrics: {},
    label: '',
    period: FIVE_MINUTES,
  });
}

/** What {@link createEfsinkDashboard} draws. */
export interface EfsinkDashboardContent {
  /** Alarms shown in the status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** `service` values of the efsink metrics this path publishes (ingest first, then assembler). */
  readonly services: readonly string[];
  /** Functions whose errors, throttles and duration are graphed. */
  readonly functions: readonly lambda.IFunction[];
  /** Dead-letter and on-failure queues (depth). */
  readonly deadLetterQueues: readonly sqs.IQueue[];
  /** What the source handed over, graphed beside `EventsReceived` (e.g. Firehose `IncomingRecords`). */
  readonly sourceMetrics: readonly cloudwatch.IMetric[];
  /** Lag beside the oldest unassembled segment: Firehose freshness, queue age, async event age. */
  readonly lagMetrics: readonly cloudwatch.IMetric[];
  /**
   * More rows at the bottom (the receiver's load balancer and tasks).
   * @default - none
   */
  readonly extraRows?: readonly (readonly cloudwatch.IWidget[])[];
}

/**
 * One dashboard per path, top to bottom: alarm states; throughput (events received, segments and
 * bytes landed, and what the source delivered); lag (oldest unassembled segment, source freshness);
 * failures by code and failed assembly passes; duplicates skipped; dead-letter queue depth; Lambda
 * errors, throttles and duration; then the path's own rows.
 */
export function createEfsinkDashboard(
  scope: Construct,
  id: string,
  content: EfsinkDashboardContent,
): cloudwatch.Dashboard {
  const per = (name: MetricNameValue, statistic: 'Sum' | 'Maximum') =>
    content.services.map((service) => efsinkMetric(name, service, statistic));
  const dashboard = new cloudwatch.Dashboard(scope, id);
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...content.alarms], width: 24 }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Throughput: events received, segments landed (sum per 5 min)',
      left: [...per(MetricName.eventsReceived, 'Sum'), ...content.sourceMetrics],
      right: per(MetricName.segmentsLanded, 'Sum'),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Throughput: bytes written to EFS (sum per 5 min)',
      left: per(MetricName.bytesWritten, 'Sum'),
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Lag: oldest unassembled segment and source freshness (seconds, max)',
      left: [...per(MetricName.oldestUnassembledSegmentAgeSeconds, 'Maximum'), ...content.lagMetrics],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Failures by error code; failed assembly passes',
      left: [failuresByCode(content.services)],
      right: per(MetricName.assemblyFailures, 'Sum'),
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Duplicates skipped (redelivered units already on EFS)',
      left: per(MetricName.duplicateUnits, 'Sum'),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Dead-letter and on-failure queue depth',
      left: content.deadLetterQueues.map((q) =>
        q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
      ),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Lambda errors and throttles',
      left: content.functions.flatMap((fn) => [
        fn.metricErrors({ period: FIVE_MINUTES, label: `Errors ${fn.node.id}` }),
        fn.metricThrottles({ period: FIVE_MINUTES, label: `Throttles ${fn.node.id}` }),
      ]),
      width: 8,
    }),
  );
  if (content.functions.length > 0) {
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda invocations and duration (p99)',
        left: content.functions.map((fn) =>
          fn.metricInvocations({ period: FIVE_MINUTES, label: `Invocations ${fn.node.id}` }),
        ),
        right: content.functions.map((fn) =>
          fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label: `Duration p99 ${fn.node.id}` }),
        ),
        width: 24,
      }),
    );
  }
  for (const row of content.extraRows ?? []) dashboard.addWidgets(...row);
  return dashboard;
}

/** A metric of one delivery stream (namespace `AWS/Firehose`, dimension `DeliveryStreamName`). */
export function firehoseMetric(
  deliveryStreamName: string,
  metricName: string,
  statistic: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Firehose',
    metricName,
    dimensionsMap: { DeliveryStreamName: deliveryStreamName },
    statistic,
    period: FIVE_MINUTES,
  });
}

/**
 * AWS's recommended Firehose alarms: data freshness above the 15-minute buffering limit (delivery is
 * falling behind or failing) and throttled records (API Gateway's puts are being rejected).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html
 */
export function firehoseAlarms(
  scope: Construct,
  deliveryStreamName: string,
  destination: 'DeliveryToS3' | 'DeliveryToHttpEndpoint',
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm[] {
  return [
    alarmAtLeast(
      scope,
      `${destination}DataFreshnessAlarm`,
      firehoseMetric(deliveryStreamName, `${destination}.DataFreshness`, 'Maximum'),
      900,
      `efsink: Firehose holds records older than 15 minutes (${destination} failing or behind)`,
      topic,
    ),
    alarmOnAny(
      scope,
      'ThrottledRecordsAlarm',
      firehoseMetric(deliveryStreamName, 'ThrottledRecords', 'Sum'),
      'efsink: Firehose throttled incoming records (access log lines lost at the source)',
      topic,
    ),
  ];
}
