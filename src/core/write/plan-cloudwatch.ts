import { decodeSubscriptionEnvelopeGeneral, envelopeBytesOf } from '../decode/cloudwatch-logs.js';
import type { PathTemplate } from '../layout/path-template.js';
import { type PayloadSummary, planCloudWatchFast, planCloudWatchGeneral } from './plan-cloudwatch-fast.js';
import type { UnitPlan } from './plan-segments.js';

/**
 * The core's one entry point for a CloudWatch Logs subscription delivery, from `awslogs.data` to the
 * segment plans: strict base64 → capped gunzip → one pass that decodes and frames (the shape
 * CloudWatch emits) or, when that declines, the general decoder (the rules, which raise every coded
 * error) and the general planner. Each step runs at most once: no double scan. The plans are the same
 * either way (plan-cloudwatch-fast.test.ts checks it as a property). The Lambda handler and
 * `efsink ingest cloudwatch` (through `ingestCloudWatchLogsEvent`) call this once per delivery.
 *
 * @example
 * const { summary, plan } = planCloudWatchPayload(event.awslogs.data, template, 64 * 1024 * 1024);
 */
export function planCloudWatchPayload(
  awslogsData: string,
  template: PathTemplate,
  maxDecompressedBytes: number,
): { summary: PayloadSummary; plan: UnitPlan } {
  const json = envelopeBytesOf(awslogsData, maxDecompressedBytes);
  return (
    planCloudWatchFast(json, template) ??
    planCloudWatchGeneral(decodeSubscriptionEnvelopeGeneral(json), template)
  );
}
