import { type AccessLogPresetName, generateAccessLogEntries } from '../src/core/access-log/index.js';
import { encodeSubscriptionEvent, syntheticEventId } from '../src/core/encode/cloudwatch-logs.js';

/**
 * The benchmark corpus: deterministic API Gateway access-log lines from the repo's generator
 * (same seed → same bytes), packed into CloudWatch Logs subscription Lambda events exactly as
 * CloudWatch sends them: `{"awslogs":{"data": base64(gzip(envelope))}}`. Encoding happens before
 * any timing starts; the timed code only ever sees the encoded events.
 */

/** One log stream of the corpus. CloudWatch never mixes streams in one subscription payload. */
interface StreamSpec {
  readonly logGroup: string;
  readonly logStream: string;
  readonly preset: AccessLogPresetName;
  readonly seed: number;
  /** Lines of 64–256 KiB (the generator picks each size). */
  readonly longLines: number;
  /** One line of ~1 MB (1,000,000 bytes, the generator's default). */
  readonly hugeLine: boolean;
  /** The format ends with `\n` (API Gateway allows it); framing must not add a second one. */
  readonly trailingNewline: boolean;
}

const REST_GROUP = '/aws/apigateway/access-logs/shop-rest/prod';
const HTTP_GROUP = '/aws/apigateway/access-logs/shop-http/$default';

// CLF and JSON presets, every line with some multi-byte UTF-8 in roughly 1 of 3 lines (routes and
// user agents of the generator), four 64 KiB+ lines and one ~1 MB line.
const STREAMS: readonly StreamSpec[] = [
  spec(REST_GROUP, 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', 'rest-clf', 11, 1, false, false),
  spec(REST_GROUP, 'f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1', 'rest-clf', 12, 1, false, false),
  spec(HTTP_GROUP, '0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'http-json', 13, 1, false, false),
  spec(HTTP_GROUP, '99887766554433221100ffeeddccbbaa', 'http-json', 14, 1, true, false),
  spec(REST_GROUP, '13579bdf02468ace13579bdf02468ace', 'rest-json', 15, 0, false, true),
];

/** 10:58:30 UTC: with ~20 ms between requests the corpus crosses 11:00, so some units span two hours. */
export const START_EPOCH_MS = Date.UTC(2024, 2, 9, 10, 58, 30);

export interface LambdaEvent {
  readonly awslogs: { readonly data: string };
}

export interface Corpus {
  readonly label: string;
  /** Log events per subscription payload (the last payload of a stream may hold fewer). */
  readonly eventsPerPayload: number;
  readonly payloads: number;
  readonly logEvents: number;
  /** Sum of the message bytes (UTF-8), the "log bytes" of MB/s. */
  readonly logBytes: number;
  /** Bytes once framed (a `\n` added unless the message ends with one): what a correct writer stores. */
  readonly framedBytes: number;
  /** Sum of base64 `data` lengths: what Lambda hands the handler. */
  readonly encodedBytes: number;
  readonly events: readonly LambdaEvent[];
}

interface StreamLines {
  readonly spec: StreamSpec;
  readonly events: { id: string; timestamp: number; message: string }[];
}

/** Generates the lines of every stream once; both packings share them byte for byte. */
export function generateStreams(eventsPerStream: number): StreamLines[] {
  return STREAMS.map((s) => {
    const entries = generateAccessLogEntries({
      seed: s.seed,
      count: eventsPerStream,
      startEpochMs: START_EPOCH_MS,
      preset: s.preset,
      longLines: s.longLines,
      hugeLine: s.hugeLine,
      trailingNewline: s.trailingNewline,
    });
    const events = entries.map((e, i) => {
      const timestamp = Number(e.context.requestTimeEpoch);
      return { id: syntheticEventId(timestamp, i), timestamp, message: e.line };
    });
    return { spec: s, events };
  });
}

/**
 * Packs the streams into payloads of `eventsPerPayload` events, interleaving streams the way a
 * subscription delivers them (stream A chunk 1, stream B chunk 1, …, stream A chunk 2, …).
 */
export function packCorpus(streams: readonly StreamLines[], eventsPerPayload: number): Corpus {
  const events: LambdaEvent[] = [];
  let logEvents = 0;
  let logBytes = 0;
  let framedBytes = 0;
  let encodedBytes = 0;
  const maxChunks = Math.max(...streams.map((s) => Math.ceil(s.events.length / eventsPerPayload)));
  for (let c = 0; c < maxChunks; c++) {
    for (const { spec: s, events: all } of streams) {
      const chunk = all.slice(c * eventsPerPayload, (c + 1) * eventsPerPayload);
      if (chunk.length === 0) continue;
      const event = encodeSubscriptionEvent({
        logGroup: s.logGroup,
        logStream: s.logStream,
        subscriptionFilters: ['to-efs'],
        logEvents: chunk,
      });
      events.push(event);
      encodedBytes += event.awslogs.data.length;
      for (const e of chunk) {
        const n = Buffer.byteLength(e.message, 'utf8');
        logBytes += n;
        framedBytes += e.message.endsWith('\n') ? n : n + 1;
      }
      logEvents += chunk.length;
    }
  }
  const label = `${logEvents.toLocaleString('en-US')} events in ${events.length} payloads of ${eventsPerPayload.toLocaleString('en-US')}`;
  return {
    label,
    eventsPerPayload,
    payloads: events.length,
    logEvents,
    logBytes,
    framedBytes,
    encodedBytes,
    events,
  };
}

function spec(
  logGroup: string,
  logStream: string,
  preset: AccessLogPresetName,
  seed: number,
  longLines: number,
  hugeLine: boolean,
  trailingNewline: boolean,
): StreamSpec {
  return { logGroup, logStream, preset, seed, longLines, hugeLine, trailingNewline };
}

/** Number of streams, so callers can size the corpus (events per stream × streams). */
export const STREAM_COUNT = STREAMS.length;
