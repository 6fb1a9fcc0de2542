import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeJsonBytes } from '../encode/cloudwatch-logs.js';
import { parseJsonBytes } from './json-bytes.js';

const parse = (text: string) => parseJsonBytes(Buffer.from(text, 'utf8'));

describe('parseJsonBytes', () => {
  it('agrees with JSON.parse on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(parse(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('accepts exactly what JSON.parse accepts, for arbitrary short texts', () => {
    const alphabet = fc.constantFrom(...'{}[]",:0123456789.eE+-\\/ntrfu abcdlsx\n\t'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 14 }), (chars) => {
        const text = chars.join('');
        let expected = true;
        try {
          JSON.parse(text);
        } catch {
          expected = false;
        }
        let actual = true;
        try {
          parse(text);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('DECODE_INVALID_JSON');
          actual = false;
        }
        expect(actual).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('returns chosen members as the exact bytes, for any bytes (including invalid UTF-8)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const doc = Buffer.concat([Buffer.from('{"message":"'), escapeJsonBytes(bytes), Buffer.from('"}')]);
        const v = parseJsonBytes(doc, new Set(['message'])) as { message: Buffer };
        expect(Buffer.isBuffer(v.message)).toBe(true);
        expect(v.message).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('decodes \\u escapes in byte members to UTF-8, surrogate pairs to 4 bytes, lone surrogates to WTF-8', () => {
    const v = parse('{"message":"caf\\u00e9 \\u65e5 \\ud83d\\ude00 \\ud800!"}') as Record<string, unknown>;
    expect(v.message).toBe('café 日 😀 \ud800!');
    const b = parseJsonBytes(
      Buffer.from('{"message":"caf\\u00e9 \\u65e5 \\ud83d\\ude00 \\ud800!"}'),
      new Set(['message']),
    ) as {
      message: Buffer;
    };
    expect(b.message).toEqual(
      Buffer.concat([Buffer.from('café 日 😀 '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('!')]),
    );
  });

  it('returns an unescaped byte member as a view of the input, without copying', () => {
    const doc = Buffer.from('{"message":"plain"}');
    const v = parseJsonBytes(doc, new Set(['message'])) as { message: Buffer };
    expect(v.message.buffer).toBe(doc.buffer);
  });

  it.each([
    ['{"a":1,}', 'expected a string key'],
    ['[1,]', 'unexpected byte'],
    ['"a\u0001"', 'unescaped control character'],
    ['"\\x"', 'invalid escape'],
    ['"\\u12g4"', 'invalid \\u escape'],
    ['01', 'unexpected data after'],
    ['"abc', 'unterminated string'],
    ['', 'unexpected end of input'],
    ['{"a" 1}', "expected ':'"],
    ['{"a":1 "b":2}', "expected ',' or '}'"],
    ['[1 2]', "expected ',' or ']'"],
    ['tru', 'invalid literal'],
    ['-', 'invalid number'],
  ])('fails on %j with DECODE_INVALID_JSON (%s)', (text, reason) => {
    expect(() => parse(text)).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_JSON', message: expect.stringContaining(reason) }),
    );
  });

  it('fails on nesting deeper than 64 levels instead of overflowing the stack', () => {
    expect(() => parse(`${'['.repeat(100)}${']'.repeat(100)}`)).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_JSON' }),
    );
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const v = parse('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ x: 1 });
  });

  it('parses numbers exactly as JSON.parse: integers, -0, 15+ digits, fractions, exponents', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
          fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
          fc
            .tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.nat(99), fc.integer({ min: -400, max: 400 }))
            .map(([i, f, e]) => `${i}.${f}e${e}`),
          fc.constantFrom(
            '-0',
            '0',
            '-0.0',
            '0e0',
            '1E+2',
            '1e-2',
            '123456789012345',
            '1234567890123456',
            '-999999999999999',
          ),
        ),
        (text) => {
          const v = parse(`[${text}]`) as number[];
          expect(Object.is(v[0], JSON.parse(text))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps ordinary keys that name Object.prototype members as own data properties', () => {
    const v = parse('{"constructor":1,"toString":2,"hasOwnProperty":3,"__proto__":4,"a":{"__proto__":[]}}');
    expect(Object.keys(v as object)).toEqual(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'a']);
    expect((v as Record<string, unknown>).constructor).toBe(1);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getPrototypeOf((v as Record<string, unknown>).a)).toBe(Object.prototype);
  });

  it('decodes long runs between escapes and many escaped strings in one document', () => {
    const long = 'x'.repeat(100);
    const text = JSON.stringify({ message: [`${long}"${long}\\${long}`, 'a"b', 'é\u0001', long] });
    const v = parseJsonBytes(Buffer.from(text), new Set(['message'])) as { message: string[] };
    expect(v).toEqual(JSON.parse(text));
    const b = parseJsonBytes(
      Buffer.from(`{"message":${JSON.stringify(`${long}"${long}`)}}`),
      new Set(['message']),
    );
    expect((b as { message: Buffer }).message.toString()).toBe(`${long}"${long}`);
  });
});
