import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from './base64.js';

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
});
