import { CoreErrorCode, EfsinkError } from '../errors.js';

/**
 * A strict JSON (RFC 8259) parser over UTF-8 bytes that can hand back chosen string members as
 * bytes instead of JavaScript strings.
 *
 * Why not JSON.parse: it turns every string into UTF-16, so a log message would be decoded and
 * re-encoded (lone surrogates and invalid UTF-8 would be replaced by U+FFFD, i.e. bytes change), and
 * the per-event string allocation plus the later Buffer.from() cost more than the whole
 * decode-only floor of the benchmark. Here a message without escapes is a zero-copy view of the
 * decompressed payload.
 *
 * Members whose key is in `bytesKeys` (at any depth) are returned as `Buffer`; escapes are decoded
 * to UTF-8, and a lone surrogate escape (`\ud800`) becomes its 3-byte generalized UTF-8 form
 * (WTF-8) so that no information is lost. Raw bytes inside strings are passed through unchanged.
 */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | Buffer
  | JsonValue[]
  | { [key: string]: JsonValue };

enum Ch {
  tab = 0x09,
  lf = 0x0a,
  cr = 0x0d,
  space = 0x20,
  quote = 0x22,
  comma = 0x2c,
  minus = 0x2d,
  colon = 0x3a,
  lbracket = 0x5b,
  backslash = 0x5c,
  rbracket = 0x5d,
  lbrace = 0x7b,
  rbrace = 0x7d,
}

const MAX_DEPTH = 64;

export function parseJsonBytes(buf: Buffer, bytesKeys: ReadonlySet<string> = new Set()): JsonValue {
  const p = new Parser(buf, bytesKeys);
  p.skipWs();
  const value = p.value(0, false);
  p.skipWs();
  if (p.pos !== buf.length) p.fail('unexpected data after the JSON value');
  return value;
}

/**
 * Parses (validates) one JSON value that starts at `pos` and returns the position just after it;
 * `depth` is the nesting depth of that value in its document (the limit is the same as for a whole
 * document). Throws DECODE_INVALID_JSON as parseJsonBytes does. Used by the envelope fast path to
 * skip members it does not read.
 */
export function skipJsonValue(buf: Buffer, pos: number, depth: number): number {
  const p = new Parser(buf, NO_KEYS);
  p.pos = pos;
  p.value(depth, false);
  return p.pos;
}

const NO_KEYS: ReadonlySet<string> = new Set();

class Parser {
  pos = 0;
  /** First backslash at or after the last search (`buf.length` when none): searches never repeat. */
  nextBackslash = -1;
  constructor(
    readonly buf: Buffer,
    readonly bytesKeys: ReadonlySet<string>,
  ) {}

  fail(reason: string): never {
    throw new EfsinkError(CoreErrorCode.invalidJson, `invalid JSON at byte ${this.pos}: ${reason}`);
  }

  skipWs(): void {
    const b = this.buf;
    let i = this.pos;
    while (i < b.length) {
      const c = b[i];
      if (c !== Ch.space && c !== Ch.lf && c !== Ch.cr && c !== Ch.tab) break;
      i++;
    }
    this.pos = i;
  }

  value(depth: number, asBytes: boolean): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.buf[this.pos];
    switch (c) {
      case Ch.lbrace:
        return this.object(depth);
      case Ch.lbracket:
        return this.array(depth);
      case Ch.quote:
        return asBytes ? this.stringBytes() : this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === Ch.minus || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : `unexpected byte 0x${c.toString(16)}`);
    }
  }

  literal<T>(word: string, v: T): T {
    if (this.buf.toString('latin1', this.pos, this.pos + word.length) !== word) this.fail('invalid literal');
    this.pos += word.length;
    return v;
  }

  /** JSON's number grammar, scanned from the bytes: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
  number(): number {
    const b = this.buf;
    const start = this.pos;
    let i = start;
    if (b[i] === Ch.minus) i++;
    let c = b[i];
    if (c === 0x30) {
      c = b[++i];
    } else if (isDigit(c)) {
      c = b[++i];
      while (isDigit(c)) c = b[++i];
    } else {
      this.fail('invalid number');
    }
    let integer = true;
    // A fraction or exponent without digits is not part of the number (the caller then fails).
    if (c === 0x2e && isDigit(b[i + 1])) {
      integer = false;
      i += 2;
      c = b[i];
      while (isDigit(c)) c = b[++i];
    }
    if (c === 0x65 || c === 0x45) {
      const d = b[i + 1] === 0x2b || b[i + 1] === Ch.minus ? i + 2 : i + 1;
      if (isDigit(b[d])) {
        integer = false;
        i = d;
        while (isDigit(b[++i]));
      }
    }
    this.pos = i;
    if (integer && i - start <= 15) {
      // At most 15 digits: exact in a double, so no string round trip.
      let v = 0;
      for (let k = b[start] === Ch.minus ? start + 1 : start; k < i; k++)
        v = v * 10 + ((b[k] as number) - 0x30);
      return b[start] === Ch.minus ? -v : v;
    }
    return Number(b.toString('latin1', start, i));
  }

  object(depth: number): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    this.pos++;
    this.skipWs();
    if (this.buf[this.pos] === Ch.rbrace) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.buf[this.pos] !== Ch.quote) this.fail('expected a string key');
      const key = this.string();
      this.skipWs();
      if (this.buf[this.pos] !== Ch.colon) this.fail("expected ':'");
      this.pos++;
      this.skipWs();
      const v = this.value(depth + 1, this.bytesKeys.has(key));
      // Duplicate keys: RFC 8259 leaves them undefined; the last one wins, as in JSON.parse.
      // Plain assignment creates an own data property for every key except "__proto__", whose
      // assignment would call Object.prototype's setter (and change the prototype).
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = v;
      }
      this.skipWs();
      const c = this.buf[this.pos];
      if (c === Ch.comma) {
        this.pos++;
        this.skipWs();
      } else if (c === Ch.rbrace) {
        this.pos++;
        return out;
      } else this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipWs();
    if (this.buf[this.pos] === Ch.rbracket) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1, false));
      this.skipWs();
      const c = this.buf[this.pos];
      if (c === Ch.comma) {
        this.pos++;
        this.skipWs();
      } else if (c === Ch.rbracket) {
        this.pos++;
        return out;
      } else this.fail("expected ',' or ']'");
    }
  }

  /** Scans a string starting at the opening quote; returns [start, end, hasEscapes]. */
  scan(): [number, number, boolean] {
    const b = this.buf;
    const start = this.pos + 1;
    let i = start;
    let escapes = false;
    for (;;) {
      const c = b[i];
      if (c === undefined) {
        this.pos = i;
        this.fail('unterminated string');
      }
      if (c === Ch.quote) break;
      if (c === Ch.backslash) {
        escapes = true;
        i += 2;
        continue;
      }
      if (c < 0x20) {
        this.pos = i;
        this.fail(`unescaped control character 0x${c.toString(16)} in string`);
      }
      i++;
    }
    this.pos = i + 1;
    return [start, i, escapes];
  }

  string(): string {
    const [start, end, escapes] = this.scan();
    if (!escapes) return this.buf.toString('utf8', start, end);
    this.unescape(start, end); // validates the escapes with our error messages
    // Non-byte members follow JSON.parse exactly (a lone surrogate stays a lone surrogate).
    return JSON.parse(this.buf.toString('utf8', start - 1, end + 1)) as string;
  }

  stringBytes(): Buffer {
    const [start, end, escapes] = this.scan();
    return escapes ? this.unescape(start, end) : this.buf.subarray(start, end);
  }

  unescape(start: number, end: number): Buffer {
    const b = this.buf;
    // Escapes only shrink: `\uXXXX` (6 bytes) → at most 3 bytes, a surrogate pair (12) → 4.
    const out = Buffer.allocUnsafe(end - start);
    let o = 0;
    let i = start;
    while (i < end) {
      // Copy the run up to the next backslash: natively when it is long, byte by byte otherwise.
      let bs = this.nextBackslash;
      if (bs < i) {
        bs = b.indexOf(Ch.backslash, i);
        if (bs === -1) bs = b.length;
        this.nextBackslash = bs;
      }
      if (bs > end) bs = end;
      if (bs - i >= 32) {
        b.copy(out, o, i, bs);
        o += bs - i;
      } else {
        for (let k = i; k < bs; k++) out[o++] = b[k] as number;
      }
      i = bs;
      if (i === end) break;
      const e = b[i + 1];
      i += 2;
      switch (e) {
        case Ch.quote:
          out[o++] = 0x22;
          break;
        case Ch.backslash:
          out[o++] = 0x5c;
          break;
        case 0x2f: // /
          out[o++] = 0x2f;
          break;
        case 0x62: // b
          out[o++] = 0x08;
          break;
        case 0x66: // f
          out[o++] = 0x0c;
          break;
        case 0x6e: // n
          out[o++] = 0x0a;
          break;
        case 0x72: // r
          out[o++] = 0x0d;
          break;
        case 0x74: // t
          out[o++] = 0x09;
          break;
        case 0x75: {
          // u
          let cp = this.hex4(i);
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdbff && b[i] === Ch.backslash && b[i + 1] === 0x75) {
            const lo = this.hex4(i + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              i += 6;
            }
          }
          o = writeUtf8(out, o, cp);
          break;
        }
        default:
          this.pos = i - 2;
          this.fail('invalid escape sequence');
      }
    }
    return out.subarray(0, o);
  }

  hex4(at: number): number {
    const v = hex4At(this.buf, at);
    if (v < 0) {
      this.pos = at;
      this.fail('invalid \\u escape');
    }
    return v;
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/**
 * The value of the four hex digits at `at` (a `\\uXXXX` escape's), or -1 when any is not a hex digit
 * (a string being unescaped always ends with a quote, so reading past the input cannot happen).
 * Shared with the fast CloudWatch decoder (cloudwatch-logs-fast.ts).
 */
export function hex4At(b: Buffer, at: number): number {
  let v = 0;
  for (let k = at; k < at + 4; k++) {
    const c = b[k] as number;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

/**
 * Writes code point `cp` as UTF-8 at `out[o]`; returns the end. A lone surrogate is written as its
 * 3-byte form (WTF-8), which is how both JSON decoders keep `\\uD800` byte-exact.
 */
export function writeUtf8(out: Buffer, o: number, cp: number): number {
  if (cp < 0x80) {
    out[o++] = cp;
  } else if (cp < 0x800) {
    out[o++] = 0xc0 | (cp >> 6);
    out[o++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[o++] = 0xe0 | (cp >> 12);
    out[o++] = 0x80 | ((cp >> 6) & 0x3f);
    out[o++] = 0x80 | (cp & 0x3f);
  } else {
    out[o++] = 0xf0 | (cp >> 18);
    out[o++] = 0x80 | ((cp >> 12) & 0x3f);
    out[o++] = 0x80 | ((cp >> 6) & 0x3f);
    out[o++] = 0x80 | (cp & 0x3f);
  }
  return o;
}
