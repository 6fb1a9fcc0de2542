import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.js';

describe('createBatcher', () => {
  it('sends a batch when it reaches the count limit', () => {
    const b = createBatcher<number>({ maxCount: 3, maxBytes: 1000, maxAgeMs: 1000 });
    expect(b.add(1, 1, 0)).toEqual([]);
    expect(b.add(2, 1, 1)).toEqual([]);
    const [batch] = b.add(3, 1, 2);
    expect(batch).toEqual({ items: [1, 2, 3], bytes: 3, firstAtMs: 0, reason: 'count' });
    expect(b.pending).toBe(0);
  });

  it('never exceeds the byte limit: the item that would overflow starts the next batch', () => {
    const b = createBatcher<string>({ maxCount: 100, maxBytes: 10, maxAgeMs: 1000 });
    b.add('a', 4, 0);
    b.add('b', 4, 1);
    const out = b.add('c', 4, 2);
    expect(out.map((x) => [x.items, x.bytes, x.reason])).toEqual([[['a', 'b'], 8, 'bytes']]);
    expect(b.flush()[0]?.items).toEqual(['c']);
  });

  it('sends an oversized item alone', () => {
    const b = createBatcher<string>({ maxCount: 100, maxBytes: 10, maxAgeMs: 1000 });
    b.add('small', 2, 0);
    const out = b.add('huge', 50, 1);
    expect(out.map((x) => x.items)).toEqual([['small'], ['huge']]);
    expect(b.pending).toBe(0);
  });

  it('sends on age, measured in simulated time from the first item', () => {
    const b = createBatcher<number>({ maxCount: 100, maxBytes: 1000, maxAgeMs: 500 });
    b.add(1, 1, 1000);
    expect(b.tick(1499)).toEqual([]);
    b.add(2, 1, 1499);
    const out = b.add(3, 1, 1500);
    expect(out.map((x) => [x.items, x.reason])).toEqual([[[1, 2], 'age']]);
    expect(b.tick(2000).map((x) => x.items)).toEqual([[3]]);
  });

  it('flush returns nothing when empty, and keeps every item exactly once in order', () => {
    const b = createBatcher<number>({ maxCount: 7, maxBytes: 20, maxAgeMs: 30 });
    expect(b.flush()).toEqual([]);
    const seen: number[] = [];
    for (let i = 0; i < 200; i++) for (const x of b.add(i, (i % 5) + 1, i * 3)) seen.push(...x.items);
    for (const x of b.flush()) seen.push(...x.items);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('rejects impossible limits', () => {
    expect(() => createBatcher({ maxCount: 0, maxBytes: 1, maxAgeMs: 0 })).toThrow(RangeError);
  });
});
