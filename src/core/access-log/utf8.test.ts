import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8ByteLength } from './utf8.js';

describe('utf8ByteLength', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['é', 2],
    ['日本', 6],
    ['🎉', 4],
    ['\ud83c', 3],
    ['\udf89x', 4],
    ['\ud83c\ud83c\udf89', 7],
  ])('counts %j as %d bytes', (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
  });

  it('agrees with TextEncoder on any string, lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }),
        (a, b) => {
          expect(utf8ByteLength(a + b)).toBe(encoder.encode(a + b).length);
        },
      ),
    );
    // Generating binary strings takes seconds when the machine is shared (measured: 6 s at load 20).
  }, 60_000);
});
