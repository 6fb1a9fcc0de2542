import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPrng } from './prng.js';

describe('createPrng', () => {
  it('produces the reference mulberry32 sequence for seed 0', () => {
    const prng = createPrng(0);
    expect([prng.next(), prng.next(), prng.next()]).toEqual([
      0.26642920868471265, 0.0003297457005828619, 0.2232720274478197,
    ]);
  });

  it('repeats itself for the same seed and takes the seed modulo 2^32', () => {
    const a = createPrng(2 ** 32 + 5);
    const b = createPrng(5);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it('keeps next in [0, 1), int within bounds, pick within the list', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        (seed, min, span) => {
          const prng = createPrng(seed);
          const x = prng.next();
          expect(x >= 0 && x < 1).toBe(true);
          const n = prng.int(min, min + span);
          expect(n >= min && n <= min + span && Number.isInteger(n)).toBe(true);
          expect(['a', 'b', 'c']).toContain(prng.pick(['a', 'b', 'c']));
        },
      ),
    );
  });

  it('makes chance(0) never true and chance(1) always true', () => {
    const prng = createPrng(9);
    expect(Array.from({ length: 100 }, () => prng.chance(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => prng.chance(1)).every(Boolean)).toBe(true);
  });
});
