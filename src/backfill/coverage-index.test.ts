import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileCoverage } from './coverage-index.js';

const meta = (logStream: string, first: string, last: string) => ({
  v: 1 as const,
  logGroup: 'g',
  logStream,
  firstEventId: first,
  lastEventId: last,
  eventCount: 1,
});

describe('FileCoverage', () => {
  it('covers ids inside a stream range (numeric order), per stream', () => {
    const c = new FileCoverage();
    c.add(meta('a', '100', '200'));
    c.add(meta('a', '9', '9'));
    expect(c.covers('a', '150')).toBe(true);
    expect(c.covers('a', '100')).toBe(true);
    expect(c.covers('a', '201')).toBe(false);
    expect(c.covers('a', '99')).toBe(false);
    expect(c.covers('a', '9')).toBe(true);
    expect(c.covers('b', '150')).toBe(false);
  });

  it('matches non-decimal ids only exactly', () => {
    const c = new FileCoverage();
    c.add(meta('a', 'x1', 'x9'));
    expect(c.covers('a', 'x1')).toBe(true);
    expect(c.covers('a', 'x5')).toBe(false);
  });

  it('agrees with a linear scan over any set of overlapping ranges', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.nat(1000)), { maxLength: 20 }),
        fc.array(fc.nat(1000), { maxLength: 30 }),
        (ranges, probes) => {
          const c = new FileCoverage();
          for (const [x, y] of ranges) c.add(meta('s', String(x), String(y)));
          for (const p of probes) {
            const want = ranges.some(([x, y]) => p >= Math.min(x, y) && p <= Math.max(x, y));
            expect(c.covers('s', String(p))).toBe(want);
          }
        },
      ),
    );
  });
});
