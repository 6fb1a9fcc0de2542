import { CoreErrorCode, describeReceived, EfsinkError } from '../errors.js';
import { decodeBase64Strict } from './base64.js';
import { gunzipCapped } from './gzip.js';
import { type JsonValue, parseJsonBytes } from './json-bytes.js';

/** One CloudWatch Logs event; `message` stays the exact bytes CloudWatch sent. */
export interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: Buffer;
}

/**
 * The decoded subscription payload.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
 */
export interface SubscriptionPayload {
  readonly messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly LogEvent[];
}

const MESSAGE_KEYS: ReadonlySet<string> = new Set(['message']);

/** CloudWatch event ids are 56-digit decimal strings; we accept any id up to this length. */
export const MAX_EVENT_ID_LENGTH = 100;

/** `awslogs.data` → the envelope's JSON bytes: strict base64, then gunzip (capped). */
export function envelopeBytesOf(data: string, maxDecompressedBytes: number): Buffer {
  const gz = decodeBase64Strict(data, 'awslogs.data');
  return gunzipCapped(gz, maxDecompressedBytes, 'awslogs.data');
}

/**
 * The general decoder: `parseJsonBytes`, then the envelope rules. Unknown extra fields
 * (`policyLevel`, `extractedFields`, …) are accepted and ignored. This module is the rules: the
 * source of truth for results and errors, which the fast paths (cloudwatch-logs-fast.ts,
 * plan-cloudwatch-fast.ts) only speed up. Callers go through `decodeSubscriptionEnvelope`
 * (cloudwatch-envelope.ts) or `planCloudWatchPayload` (write/plan-cloudwatch.ts).
 */
export function decodeSubscriptionEnvelopeGeneral(json: Buffer): SubscriptionPayload {
  const root = parseJsonBytes(json, MESSAGE_KEYS);
  if (!isObject(root)) throw envelopeError('the payload', 'a JSON object', root);
  const messageType = root.messageType;
  if (messageType !== 'DATA_MESSAGE' && messageType !== 'CONTROL_MESSAGE') {
    throw envelopeError('messageType', '"DATA_MESSAGE" or "CONTROL_MESSAGE"', messageType);
  }
  const owner = requireString(root, 'owner', true);
  const logGroup = requireString(root, 'logGroup', messageType === 'CONTROL_MESSAGE');
  const logStream = requireString(root, 'logStream', messageType === 'CONTROL_MESSAGE');
  const filters = root.subscriptionFilters;
  if (!Array.isArray(filters) || !filters.every((f) => typeof f === 'string')) {
    throw envelopeError('subscriptionFilters', 'an array of strings', filters);
  }
  const rawEvents = root.logEvents;
  if (!Array.isArray(rawEvents)) throw envelopeError('logEvents', 'an array', rawEvents);
  // A CONTROL_MESSAGE's single event has an empty id and is never written, so it is not decoded.
  const logEvents = messageType === 'CONTROL_MESSAGE' ? [] : rawEvents.map(decodeEvent);
  return { messageType, owner, logGroup, logStream, subscriptionFilters: filters as string[], logEvents };
}

function decodeEvent(raw: JsonValue, index: number): LogEvent {
  if (!isObject(raw)) throw eventError(index, 'must be an object', raw);
  const { id, timestamp, message } = raw;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EVENT_ID_LENGTH) {
    throw eventError(index, `id must be a non-empty string of at most ${MAX_EVENT_ID_LENGTH} chars`, id);
  }
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw eventError(index, 'timestamp must be a non-negative integer (ms since epoch)', timestamp);
  }
  if (!Buffer.isBuffer(message)) throw eventError(index, 'message must be a string', message);
  return { id, timestamp, message };
}

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function requireString(obj: { [key: string]: JsonValue }, key: string, allowEmpty: boolean): string {
  const v = obj[key];
  if (typeof v !== 'string' || (!allowEmpty && v.length === 0)) {
    throw envelopeError(key, allowEmpty ? 'a string' : 'a non-empty string', v);
  }
  return v;
}

function envelopeError(field: string, expected: string, got: unknown): EfsinkError {
  return new EfsinkError(
    CoreErrorCode.invalidEnvelope,
    `subscription envelope: ${field} must be ${expected}, got ${describeReceived(got)}`,
  );
}

function eventError(index: number, rule: string, got: unknown): EfsinkError {
  return new EfsinkError(
    CoreErrorCode.invalidEvent,
    `logEvents[${index}]: ${rule}, got ${describeReceived(got)}`,
  );
}
