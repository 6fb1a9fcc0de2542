import { isEfsinkError } from '../errors.js';
import { type LogEvent, MAX_EVENT_ID_LENGTH, type SubscriptionPayload } from './cloudwatch-logs.js';
import { hex4At, skipJsonValue, writeUtf8 } from './json-bytes.js';

/**
 * A fast path for the subscription envelope as CloudWatch Logs emits it:
 *
 *     {"messageType":"DATA_MESSAGE","owner":"…","logGroup":"…","logStream":"…",
 *      "subscriptionFilters":["…"],"logEvents":[{"id":"…","timestamp":N,"message":"…"},…]}
 *
 * in any key order, with any JSON whitespace, plus unknown top-level members (`policyLevel`, …,
 * validated by the general parser and ignored). It reads integers straight from the bytes, finds
 * the end of a message with native `indexOf` (memchr) and returns a message without escapes as a
 * zero-copy view of `json`; messages with escapes are decoded into one shared buffer.
 *
 * It returns a result only when the whole input is valid JSON of exactly that shape and passes
 * every rule of the general decoder (`decodeSubscriptionEnvelope`); on anything else — an unknown
 * key in an event (`extractedFields`), an escape in a key or in a top-level string, a number that
 * is not a plain integer of at most 15 digits, a duplicate key, a CONTROL_MESSAGE, invalid JSON,
 * an envelope or event rule broken — it returns `undefined` and the caller runs the general
 * parser, which produces the result or the coded error. So the fast path can only change speed,
 * never a result or an error (`cloudwatch-logs-fast.test.ts` checks this as a property).
 */
export function decodeEnvelopeFast(json: Buffer): SubscriptionPayload | undefined {
  try {
    return new Scanner(json).envelope();
  } catch (signal) {
    // Only the fallback signal means "not this shape"; anything else is a bug and must surface.
    if (signal === FALLBACK) return undefined;
    throw signal;
  }
}

/**
 * Thrown when the input is not of the shape the fast paths read; never escapes them: they catch it,
 * and only it, and the caller runs the general decoder, which decides and reports any error.
 */
export const FALLBACK = Symbol('fallback');

/** Skips an unknown top-level member's value; invalid JSON there is the general parser's to report. */
function skipUnknownValue(b: Buffer, pos: number): number {
  try {
    return skipJsonValue(b, pos, 1);
  } catch (error) {
    if (isEfsinkError(error)) throw FALLBACK;
    throw error;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Top-level members the envelope decoder reads; any other member is skipped. */
const TOP_KEYS = ['messageType', 'owner', 'logGroup', 'logStream', 'subscriptionFilters', 'logEvents'];
const TOP_KEY_BYTES = TOP_KEYS.map((k) => Buffer.from(`${k}"`, 'latin1'));
const DATA_MESSAGE = Buffer.from('DATA_MESSAGE"', 'latin1');

enum Seen {
  id = 1,
  timestamp = 2,
  message = 4,
  all = 7,
}

/** The fast path's reader; `plan-cloudwatch-fast.ts` extends it to frame messages as it reads. */
export class Scanner {
  pos = 0;
  /** Position of the first backslash at or after the last search (`buf.length` when none). */
  nextBackslash = -1;
  /** Decoded messages that contained escapes (allocated on first use; escapes only shrink). */
  arena: Buffer | undefined;
  arenaPos = 0;
  readonly words: Uint32Array;

  constructor(readonly buf: Buffer) {
    // A word view of the whole underlying memory, for the control-character check.
    this.words = new Uint32Array(buf.buffer, 0, buf.buffer.byteLength >>> 2);
  }

  envelope(): SubscriptionPayload {
    const b = this.buf;
    this.skipWs();
    if (b[this.pos] !== 0x7b) throw FALLBACK;
    this.pos++;
    let messageType: 'DATA_MESSAGE' | undefined;
    let owner: string | undefined;
    let logGroup: string | undefined;
    let logStream: string | undefined;
    let subscriptionFilters: string[] | undefined;
    let logEvents: LogEvent[] | undefined;
    this.skipWs();
    if (b[this.pos] === 0x7d) throw FALLBACK;
    for (;;) {
      if (b[this.pos] !== QUOTE) throw FALLBACK;
      const key = this.topKey();
      this.colon();
      switch (key) {
        case 0:
          if (
            messageType !== undefined ||
            b[this.pos] !== QUOTE ||
            !this.matches(DATA_MESSAGE, this.pos + 1)
          ) {
            throw FALLBACK;
          }
          this.pos += 1 + DATA_MESSAGE.length;
          messageType = 'DATA_MESSAGE';
          break;
        case 1:
          if (owner !== undefined) throw FALLBACK;
          owner = this.string();
          break;
        case 2:
          if (logGroup !== undefined) throw FALLBACK;
          logGroup = this.string();
          break;
        case 3:
          if (logStream !== undefined) throw FALLBACK;
          logStream = this.string();
          break;
        case 4:
          if (subscriptionFilters !== undefined) throw FALLBACK;
          subscriptionFilters = this.strings();
          break;
        case 5:
          if (logEvents !== undefined) throw FALLBACK;
          logEvents = this.events();
          break;
        default:
          // An unknown member: the general parser validates its value (depth 1, as there).
          this.pos = skipUnknownValue(b, this.pos);
      }
      this.skipWs();
      const c = b[this.pos];
      this.pos++;
      if (c === 0x7d) break;
      if (c !== COMMA) throw FALLBACK;
      this.skipWs();
    }
    this.skipWs();
    if (this.pos !== b.length) throw FALLBACK;
    if (
      messageType === undefined ||
      owner === undefined ||
      logGroup === undefined ||
      logGroup.length === 0 ||
      logStream === undefined ||
      logStream.length === 0 ||
      subscriptionFilters === undefined ||
      logEvents === undefined
    ) {
      throw FALLBACK;
    }
    return { messageType, owner, logGroup, logStream, subscriptionFilters, logEvents };
  }

  /** Reads a top-level key: the index of a known key, or -1 for any other plain key. */
  topKey(): number {
    const start = this.pos + 1;
    for (let k = 0; k < TOP_KEY_BYTES.length; k++) {
      const bytes = TOP_KEY_BYTES[k] as Buffer;
      if (this.matches(bytes, start)) {
        this.pos = start + bytes.length;
        return k;
      }
    }
    this.string(); // an unknown key must still be a valid string without escapes
    return -1;
  }

  matches(bytes: Buffer, at: number): boolean {
    const b = this.buf;
    if (at + bytes.length > b.length) return false;
    for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false;
    return true;
  }

  skipWs(): void {
    const b = this.buf;
    let i = this.pos;
    let c = b[i];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++i];
    this.pos = i;
  }

  /** Expects optional whitespace, ':' and optional whitespace. */
  colon(): void {
    this.skipWs();
    if (this.buf[this.pos] !== COLON) throw FALLBACK;
    this.pos++;
    this.skipWs();
  }

  /** A short string without escapes (keys, ids, names), decoded as the general parser does. */
  string(): string {
    const start = this.pos + 1;
    const end = this.shortString();
    return this.buf.toString(this.ascii ? 'latin1' : 'utf8', start, end);
  }

  /** Whether the last shortString() was ASCII. */
  ascii = true;

  /** Skips a short string without escapes; returns where its bytes end (they start after the quote). */
  shortString(): number {
    const b = this.buf;
    if (b[this.pos] !== QUOTE) throw FALLBACK;
    let i = this.pos + 1;
    let ascii = true;
    for (;;) {
      const c = b[i];
      if (c === QUOTE) break;
      if (c === undefined || c === BACKSLASH || c < 0x20) throw FALLBACK;
      if (c >= 0x80) ascii = false;
      i++;
    }
    this.ascii = ascii;
    this.pos = i + 1;
    return i;
  }

  /** The current event's id, as byte bounds (a string is made only where one is needed). */
  idStart = 0;
  idEnd = 0;
  idAscii = true;

  /** Reads an event id: a short string of 1..MAX_EVENT_ID_LENGTH UTF-16 units (as the general rule). */
  eventId(): void {
    const start = this.pos + 1;
    const end = this.shortString();
    const length = this.ascii ? end - start : this.buf.toString('utf8', start, end).length;
    if (length === 0 || length > MAX_EVENT_ID_LENGTH) throw FALLBACK;
    this.idStart = start;
    this.idEnd = end;
    this.idAscii = this.ascii;
  }

  idString(start = this.idStart, end = this.idEnd, ascii = this.idAscii): string {
    return this.buf.toString(ascii ? 'latin1' : 'utf8', start, end);
  }

  /** An array of strings (`subscriptionFilters`). */
  strings(): string[] {
    return this.array(() => this.string());
  }

  /** The `logEvents` array. */
  events(): LogEvent[] {
    return this.array(() => this.event());
  }

  /** A JSON array whose items `item` reads (JSON whitespace allowed around them). */
  array<T>(item: () => T): T[] {
    const b = this.buf;
    if (b[this.pos] !== 0x5b) throw FALLBACK;
    this.pos++;
    this.skipWs();
    const out: T[] = [];
    if (b[this.pos] === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(item());
      this.skipWs();
      const c = b[this.pos];
      this.pos++;
      if (c === 0x5d) return out;
      if (c !== COMMA) throw FALLBACK;
      this.skipWs();
    }
  }

  /** One `{"id":"…","timestamp":N,"message":"…"}` object, members in any order. */
  event(): LogEvent {
    const b = this.buf;
    if (b[this.pos] !== 0x7b) throw FALLBACK;
    this.pos++;
    this.skipWs();
    let seen = 0;
    let timestamp = 0;
    let message: Buffer | undefined;
    for (;;) {
      let i = this.pos;
      if (b[i] !== QUOTE) throw FALLBACK;
      const k = b[i + 1];
      if (k === 0x69 && b[i + 2] === 0x64 && b[i + 3] === QUOTE) {
        // "id"
        if (seen & Seen.id) throw FALLBACK;
        seen |= Seen.id;
        this.pos = i + 4;
        this.colon();
        this.eventId();
      } else if (k === 0x74 && this.matches(TIMESTAMP, i + 1)) {
        if (seen & Seen.timestamp) throw FALLBACK;
        seen |= Seen.timestamp;
        this.pos = i + 1 + TIMESTAMP.length;
        this.colon();
        timestamp = this.integer();
      } else if (k === 0x6d && this.matches(MESSAGE, i + 1)) {
        if (seen & Seen.message) throw FALLBACK;
        seen |= Seen.message;
        this.pos = i + 1 + MESSAGE.length;
        this.colon();
        message = this.eventMessage((seen & Seen.timestamp) !== 0, timestamp);
      } else {
        throw FALLBACK;
      }
      this.skipWs();
      i = this.pos;
      const c = b[i];
      this.pos = i + 1;
      if (c === 0x7d) break;
      if (c !== COMMA) throw FALLBACK;
      this.skipWs();
    }
    if (seen !== Seen.all) throw FALLBACK;
    return this.endEvent(timestamp, message);
  }

  /** Reads an event's message; `timestamp` is the event's when `hasTimestamp` (it came first). */
  eventMessage(_hasTimestamp: boolean, _timestamp: number): Buffer | undefined {
    return this.message();
  }

  endEvent(timestamp: number, message: Buffer | undefined): LogEvent {
    return { id: this.idString(), timestamp, message: message as Buffer };
  }

  /**
   * A non-negative integer of at most 15 digits (so a safe integer), in JSON's grammar; anything
   * else (a sign, a fraction, an exponent, a leading zero followed by a digit) falls back.
   */
  integer(): number {
    const b = this.buf;
    const start = this.pos;
    let i = start;
    let c = b[i] as number; // undefined at the end of the input: every comparison below is false
    let v = c - 0x30;
    if (!(v >= 0 && v <= 9)) throw FALLBACK;
    c = b[++i] as number;
    if (v !== 0) {
      while (c >= 0x30 && c <= 0x39) {
        v = v * 10 + (c - 0x30);
        c = b[++i] as number;
      }
      if (i - start > 15) throw FALLBACK;
    }
    if (c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) throw FALLBACK;
    this.pos = i;
    return v;
  }

  /** A message string as bytes: a view of the input without escapes, decoded otherwise. */
  message(): Buffer {
    const start = this.pos + 1;
    const end = this.plainEnd();
    if (end < 0) return this.escaped(start);
    this.pos = end + 1;
    return this.buf.subarray(start, end);
  }

  /** A message string decoded (copied) into `out` at `o`; returns the end in `out`. */
  messageInto(out: Buffer, o: number): number {
    const start = this.pos + 1;
    const end = this.plainEnd();
    if (end < 0) return this.escapedInto(out, o, start);
    this.pos = end + 1;
    return o + this.buf.copy(out, o, start, end);
  }

  /**
   * At a string's opening quote: the index of its closing quote when it has no escapes (its bytes
   * are then the string), or -1 when it has escapes. Raw control characters fall back.
   */
  plainEnd(): number {
    const b = this.buf;
    if (b[this.pos] !== QUOTE) throw FALLBACK;
    const start = this.pos + 1;
    const end = b.indexOf(QUOTE, start);
    if (end === -1) throw FALLBACK;
    let bs = this.nextBackslash;
    if (bs < start) {
      bs = b.indexOf(BACKSLASH, start);
      if (bs === -1) bs = b.length;
      this.nextBackslash = bs;
    }
    if (bs < end) return -1;
    if (this.hasControl(start, end)) throw FALLBACK;
    return end;
  }

  /** True when a byte in [start, end) is below 0x20 (JSON forbids raw control characters). */
  hasControl(start: number, end: number): boolean {
    const b = this.buf;
    let i = start;
    if (end - i >= 16) {
      // Four bytes at a time on aligned words: a byte < 0x20 exists iff
      // (x - 0x20202020) & ~x & 0x80808080 is non-zero (exact for "any", not for "which").
      const off = b.byteOffset;
      while (((off + i) & 3) !== 0) {
        if ((b[i] as number) < 0x20) return true;
        i++;
      }
      const words = this.words;
      const wEnd = (off + end) >>> 2;
      for (let w = (off + i) >>> 2; w < wEnd; w++) {
        const x = words[w] as number;
        if (((x - 0x20202020) & ~x & 0x80808080) !== 0) return true;
      }
      i = (wEnd << 2) - off;
    }
    for (; i < end; i++) if ((b[i] as number) < 0x20) return true;
    return false;
  }

  /** Decodes a message with escapes into the arena; `start` is just after the opening quote. */
  escaped(start: number): Buffer {
    let out = this.arena;
    if (out === undefined) {
      out = Buffer.allocUnsafe(this.buf.length);
      this.arena = out;
    }
    const first = this.arenaPos;
    this.arenaPos = this.escapedInto(out, first, start);
    return out.subarray(first, this.arenaPos);
  }

  /**
   * Decodes a string with escapes into `out` at `o` (it needs at most the string's raw length);
   * `start` is just after the opening quote. Returns the end in `out`; `pos` moves past the quote.
   */
  escapedInto(out: Buffer, o: number, start: number): number {
    const b = this.buf;
    let i = start;
    for (;;) {
      // Copy the run of ordinary bytes; a table lookup per byte is the cheapest test in V8 (runs
      // between escapes are short in access logs, so native copies would cost more in calls).
      let c = b[i] as number;
      while (ORDINARY[c] === 1) {
        out[o++] = c;
        c = b[++i] as number;
      }
      if (c === QUOTE) break;
      // A raw control character, or the end of the input (c is undefined there).
      if (c !== BACKSLASH) throw FALLBACK;
      const e = b[i + 1];
      i += 2;
      switch (e) {
        case QUOTE:
          out[o++] = QUOTE;
          break;
        case BACKSLASH:
          out[o++] = BACKSLASH;
          break;
        case 0x2f: // /
          out[o++] = 0x2f;
          break;
        case 0x6e: // n
          out[o++] = 0x0a;
          break;
        case 0x74: // t
          out[o++] = 0x09;
          break;
        case 0x72: // r
          out[o++] = 0x0d;
          break;
        case 0x62: // b
          out[o++] = 0x08;
          break;
        case 0x66: // f
          out[o++] = 0x0c;
          break;
        case 0x75: {
          // \uXXXX, a surrogate pair as one code point, a lone surrogate as WTF-8 (as json-bytes)
          let cp = hex4(b, i);
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdbff && b[i] === BACKSLASH && b[i + 1] === 0x75) {
            const lo = hex4(b, i + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              i += 6;
            }
          }
          o = writeUtf8(out, o, cp);
          break;
        }
        default:
          throw FALLBACK;
      }
    }
    this.pos = i + 1;
    return o;
  }
}

/** 1 for the bytes a JSON string holds as they are: not a control character, quote or backslash. */
const ORDINARY = new Uint8Array(256).fill(1);
ORDINARY.fill(0, 0, 0x20);
ORDINARY[QUOTE] = 0;
ORDINARY[BACKSLASH] = 0;

const TIMESTAMP = Buffer.from('timestamp"', 'latin1');
const MESSAGE = Buffer.from('message"', 'latin1');

/** The value of four hex digits at `at` (json-bytes' reader); falls back on anything else. */
function hex4(b: Buffer, at: number): number {
  const v = hex4At(b, at);
  if (v < 0) throw FALLBACK;
  return v;
}
