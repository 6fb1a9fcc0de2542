import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from './base64.js';

/** The validator before the regex-free rewrite, kept as the reference for the equivalence property. */
function referenceDecode(text: string): Buffer {
  if (text.length % 4 !== 0) throw new Error('length');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error('character');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = Buffer.from(text, 'base64');
  if (padding > 0 && Buffer.from(out).toString('base64') !== text) throw new Error('non-canonical');
  return out;
}

/** Reason class of a DECODE_INVALID_BASE64 message, comparable with referenceDecode's. */
function outcome(decode: (text: string) => Buffer, text: string): string {
  try {
    return `ok ${decode(text).toString('hex')}`;
  } catch (err) {
    const message = (err as Error).message;
    if ((err as { code?: string }).code !== undefined) {
      expect((err as { code?: string }).code).toBe('DECODE_INVALID_BASE64');
    }
    if (/length|multiple of 4/.test(message)) return 'length';
    if (/character/.test(message)) return 'character';
    return 'non-canonical';
  }
}

/** Characters Node treats specially (skips, aliases, base64url, padding) plus the alphabet. */
const WIDE = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split(''),
  ...'====-_ \n\r\t\u0000*.!é\u00ffŁ\u0141\u012b\u2d2b\uff0f😀\ud800'.split(''),
  '\u0100', // low byte 0x00
  '\u0161', // low byte 0x61 = 'a'
  '\u012f', // low byte 0x2f = '/'
);

describe('decodeBase64Strict', () => {
  it('decodes what Buffer encodes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(decodeBase64Strict(Buffer.from(bytes).toString('base64'))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it.each([
    ['aGk', 'not a multiple of 4'],
    ['aG k', 'invalid base64 character " " at offset 2'],
    ['aGk*', 'invalid base64 character "*" at offset 3'],
    ['aGk=aGk=', 'invalid base64 character "=" at offset 3'],
    ['aGl=', 'non-canonical'],
    ['aGk-', 'invalid base64 character "-"'],
  ])('fails on %j with DECODE_INVALID_BASE64 (%s)', (text, reason) => {
    expect(() => decodeBase64Strict(text)).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_BASE64', message: expect.stringContaining(reason) }),
    );
  });

  it('rejects what Node would silently skip: any non-alphabet character inserted anywhere', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 3, maxLength: 60 }),
        fc.constantFrom('\n', ' ', '!', '.', '_', '-', 'é'),
        fc.nat(),
        (bytes, bad, at) => {
          const good = Buffer.from(bytes).toString('base64');
          const i = at % good.length;
          const text = good.slice(0, i) + bad + good.slice(i + 1);
          expect(() => decodeBase64Strict(text)).toThrow(
            expect.objectContaining({ code: 'DECODE_INVALID_BASE64' }),
          );
        },
      ),
    );
  });

  it('accepts and rejects exactly what the regex-based validator did, on random strings over a wide alphabet', () => {
    fc.assert(
      fc.property(fc.array(WIDE, { maxLength: 24 }), (chars) => {
        const text = chars.join('');
        expect(outcome(decodeBase64Strict, text)).toBe(outcome(referenceDecode, text));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with the regex-based validator on valid base64 with one character replaced or padding changed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        WIDE,
        fc.nat(),
        fc.constantFrom('', '=', '==', '==='),
        fc.boolean(),
        (bytes, ch, at, pad, strip) => {
          let good = Buffer.from(bytes).toString('base64');
          if (strip) good = good.replace(/=+$/, '') + pad;
          const i = good.length === 0 ? 0 : at % good.length;
          for (const text of [
            good,
            good.slice(0, i) + ch + good.slice(i + 1),
            good.slice(0, i) + ch + good.slice(i),
          ]) {
            expect(outcome(decodeBase64Strict, text)).toBe(outcome(referenceDecode, text));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('rejects characters Node would read by their low byte (U+0141 as "A")', () => {
    expect(() => decodeBase64Strict('aGk\u0141')).toThrow(
      expect.objectContaining({
        code: 'DECODE_INVALID_BASE64',
        message: expect.stringContaining('offset 3'),
      }),
    );
    expect(decodeBase64Strict('aA==')).toEqual(Buffer.from([0x68]));
    expect(() => decodeBase64Strict('aG\u0161=')).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_BASE64' }),
    );
  });

  it('rejects three padding characters and padding alone', () => {
    for (const text of ['a===', '====', 'aGk=a===']) {
      expect(() => decodeBase64Strict(text)).toThrow(
        expect.objectContaining({ code: 'DECODE_INVALID_BASE64' }),
      );
    }
  });
});
