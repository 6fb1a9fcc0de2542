import { decodeSubscriptionEnvelopeGeneral, type SubscriptionPayload } from './cloudwatch-logs.js';
import { decodeEnvelopeFast } from './cloudwatch-logs-fast.js';

/**
 * Decodes gunzipped subscription envelope bytes into events: the fast scanner for the shape
 * CloudWatch emits, the general decoder (the rules) for anything else and for every error — each
 * runs at most once. For callers that need the events themselves (the receiver's unwrapping of
 * CloudWatch payloads inside Firehose records); ingest goes from bytes to plans with
 * `planCloudWatchPayload` instead.
 */
export function decodeSubscriptionEnvelope(json: Buffer): SubscriptionPayload {
  return decodeEnvelopeFast(json) ?? decodeSubscriptionEnvelopeGeneral(json);
}
