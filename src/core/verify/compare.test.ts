import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  comparePartition,
  emptyReport,
  encodeRecord,
  isExactMatch,
  partitionOf,
  recordPayload,
  SOURCE,
  STORED,
} from './compare.js';
import { LineSplitter, splitLines } from './lines.js';

const b = (s: string) => Buffer.from(s, 'latin1');

/** Compares two line lists through `n` partitions, as verify does. */
function compare(source: string[], stored: string[], n: number) {
  const parts: Buffer[][] = Array.from({ length: n }, () => []);
  for (const [side, lines] of [
    [SOURCE, source],
    [STORED, stored],
  ] as const) {
    for (const l of lines) {
      const p = recordPayload('a/00.log', b(l));
      parts[partitionOf(p, n)]?.push(encodeRecord(side, p));
    }
  }
  const report = emptyReport();
  for (const p of parts) comparePartition(Buffer.concat(p), report, 3);
  return report;
}

describe('comparePartition', () => {
  it('classifies missing, extra and duplicated lines with samples', () => {
    const r = compare(['x\n', 'y\n', 'z\n', 'z\n'], ['x\n', 'x\n', 'z\n', 'w\n'], 4);
    expect(r).toMatchObject({ sourceLines: 4, storedLines: 4 });
    expect(r.missing.count).toBe(2); // y, and one of the two z
    expect(r.extra.count).toBe(1);
    expect(r.extra.samples[0]).toMatchObject({ relPath: 'a/00.log', line: 'w\n', base64: 'dwo=', times: 1 });
    expect(r.duplicated.count).toBe(1);
    expect(isExactMatch(r)).toBe(false);
  });

  it('agrees with a plain multiset comparison for any lines and any partition count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 6 })),
        fc.array(fc.string({ maxLength: 6 })),
        fc.integer({ min: 1, max: 9 }),
        (src, sto, n) => {
          const r = compare(src, sto, n);
          const count = (xs: string[]) =>
            xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
          const cs = count(src);
          const ce = count(sto);
          let missing = 0;
          let extraOrDup = 0;
          for (const k of new Set([...cs.keys(), ...ce.keys()])) {
            const d = (ce.get(k) ?? 0) - (cs.get(k) ?? 0);
            if (d < 0) missing -= d;
            else extraOrDup += d;
          }
          expect(r.missing.count).toBe(missing);
          expect(r.extra.count + r.duplicated.count).toBe(extraOrDup);
          expect(isExactMatch(r)).toBe(missing === 0 && extraOrDup === 0);
        },
      ),
    );
  });

  it('fails on a truncated partition', () => {
    const rec = encodeRecord(SOURCE, b('abc'));
    expect(() => comparePartition(rec.subarray(0, 3), emptyReport(), 1)).toThrow(/truncated record header/);
    expect(() => comparePartition(rec.subarray(0, 6), emptyReport(), 1)).toThrow(/truncated record at/);
  });
});

describe('LineSplitter', () => {
  it('splits across chunk boundaries the same as on the whole, keeping a final partial line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(64)), (bytes, cuts) => {
        const data = Buffer.from(bytes.map((x) => (x % 3 === 0 ? 0x0a : x)));
        const s = new LineSplitter();
        const out: Buffer[] = [];
        let at = 0;
        for (const c of [...cuts].sort((x, y) => x - y)) {
          const end = Math.min(c, data.length);
          if (end < at) continue;
          out.push(...s.push(data.subarray(at, end)));
          at = end;
        }
        out.push(...s.push(data.subarray(at)), ...s.end());
        expect(Buffer.concat(out).equals(data)).toBe(true);
        expect(out.map((l) => l.toString('hex'))).toEqual(splitLines(data).map((l) => l.toString('hex')));
        for (const l of out.slice(0, -1)) expect(l[l.length - 1]).toBe(0x0a);
      }),
    );
  });
});
