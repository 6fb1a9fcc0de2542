import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { framedLength, frameEntries } from './frame.js';

describe('frameEntries (the framing rule)', () => {
  it('appends \\n to each entry unless it already ends with \\n, and changes nothing else', () => {
    const entries = ['a', '', 'b\n', 'c\r\n', '\n', 'd\r', 'é日😀'].map((s) => Buffer.from(s));
    expect(frameEntries(entries).toString()).toBe('a\n\nb\nc\r\n\nd\r\né日😀\n');
  });

  it('is the concatenation of each framed entry, for any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 30 }), (entries) => {
        const expected = Buffer.concat(
          entries.map((e) =>
            e.length > 0 && e[e.length - 1] === 0x0a
              ? Buffer.from(e)
              : Buffer.concat([Buffer.from(e), Buffer.from('\n')]),
          ),
        );
        const framed = frameEntries(entries);
        expect(framed).toEqual(expected);
        expect(framed.length).toBe(entries.reduce((n, e) => n + framedLength(e), 0));
        if (framed.length > 0) expect(framed[framed.length - 1]).toBe(0x0a);
      }),
    );
  });

  it('frames a 1 MB entry without touching its bytes', () => {
    const big = Buffer.alloc(1 << 20, 0xff);
    const framed = frameEntries([big]);
    // toEqual on megabyte buffers is slow in vitest; Buffer.equals is a memcmp.
    expect(framed.subarray(0, big.length).equals(big)).toBe(true);
    expect(framed.length).toBe(big.length + 1);
  });
});
