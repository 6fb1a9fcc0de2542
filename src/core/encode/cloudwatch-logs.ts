import { gzipSync } from 'node:zlib';

/** What a producer needs to build a subscription payload (the demo, tests, benchmarks). */
export interface SubscriptionEventInput {
  readonly messageType?: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly owner?: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters?: readonly string[];
  readonly logEvents: readonly { id: string; timestamp: number; message: string | Uint8Array }[];
  /** Extra top-level fields (for example `policyLevel`) to check that decoders ignore them. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Encodes the JSON envelope as CloudWatch Logs does, writing messages from raw bytes: JSON escapes
 * for `"`, `\` and control characters, every other byte as is. This lets tests deliver messages that
 * are any byte string, including invalid UTF-8, which JSON.stringify cannot express.
 */
export function encodeSubscriptionEnvelope(input: SubscriptionEventInput): Buffer {
  const head = {
    messageType: input.messageType ?? 'DATA_MESSAGE',
    owner: input.owner ?? '123456789012',
    logGroup: input.logGroup,
    logStream: input.logStream,
    subscriptionFilters: input.subscriptionFilters ?? ['efsink'],
    ...input.extra,
  };
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(head).slice(0, -1)},"logEvents":[`)];
  input.logEvents.forEach((e, i) => {
    parts.push(
      Buffer.from(`${i > 0 ? ',' : ''}{"id":${JSON.stringify(e.id)},"timestamp":${e.timestamp},"message":"`),
    );
    parts.push(escapeJsonBytes(typeof e.message === 'string' ? Buffer.from(e.message, 'utf8') : e.message));
    parts.push(Buffer.from('"}'));
  });
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}

/** `{"awslogs":{"data": base64(gzip(envelope))}}` — the Lambda event CloudWatch Logs sends. */
export function encodeSubscriptionEvent(input: SubscriptionEventInput): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(encodeSubscriptionEnvelope(input)).toString('base64') } };
}

const SHORT_ESCAPES: Record<number, string> = {
  34: '\\"',
  92: '\\\\',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  8: '\\b',
  12: '\\f',
};

export function escapeJsonBytes(bytes: Uint8Array): Buffer {
  let extra = 0;
  for (const b of bytes) if (b < 0x20 || b === 0x22 || b === 0x5c) extra += 5;
  if (extra === 0) return Buffer.from(bytes);
  const out: number[] = [];
  for (const b of bytes) {
    const short = SHORT_ESCAPES[b];
    if (short !== undefined) for (let i = 0; i < short.length; i++) out.push(short.charCodeAt(i));
    else if (b < 0x20) for (const c of `\\u${b.toString(16).padStart(4, '0')}`) out.push(c.charCodeAt(0));
    else out.push(b);
  }
  return Buffer.from(out);
}

/**
 * A CloudWatch-like event id: 56 decimal digits that grow with time and sequence, so ids of one
 * stream sort in event order (real ids have this shape; their exact composition is undocumented).
 */
export function syntheticEventId(timestampMs: number, sequence: number): string {
  return `${String(timestampMs).padStart(20, '0')}${String(sequence).padStart(36, '0')}`;
}
