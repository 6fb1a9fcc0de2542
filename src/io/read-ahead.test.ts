import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadAhead } from './read-ahead.js';

/** A load whose completion the test controls: a size to reserve, then a delay in microtask turns. */
interface Item {
  readonly size: number;
  readonly turns: number;
  readonly fails?: boolean;
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Runs a ReadAhead over items, recording the peaks of loads in flight, window and reserved bytes. */
async function drive(
  items: readonly Item[],
  opts: { concurrency: number; window: number; budgetBytes: number },
) {
  let running = 0;
  let peakRunning = 0;
  let held = 0; // bytes reserved and not yet taken by the consumer
  let peakHeld = 0;
  let largestItem = 0;
  let calls = 0; // reader.next() calls so far: the consumer has taken every item before the last
  let peakWindow = 0;
  const reader = new ReadAhead(items, opts, async (item, reserve) => {
    // Item k may start once the consumer has asked for item k - window + 1 (and so took all before).
    peakWindow = Math.max(peakWindow, items.indexOf(item) - calls + 1);
    running++;
    peakRunning = Math.max(peakRunning, running);
    try {
      await turns(item.turns);
      await reserve(item.size);
      held += item.size;
      largestItem = Math.max(largestItem, item.size);
      peakHeld = Math.max(peakHeld, held);
      await turns(item.turns);
      if (item.fails) throw new Error(`load of ${items.indexOf(item)} failed`);
      return item;
    } finally {
      running--;
    }
  });
  const out: Item[] = [];
  let error: unknown;
  try {
    const next = () => {
      calls++;
      return reader.next();
    };
    for (let r = await next(); r !== undefined; r = await next()) {
      out.push(r);
      held -= r.size;
      await turns(1);
    }
  } catch (err) {
    error = err;
  }
  await reader.close();
  const runningAfterClose = running;
  return { out, error, peakRunning, peakHeld, largestItem, peakWindow, runningAfterClose };
}

const itemArb = fc.record({ size: fc.integer({ min: 0, max: 400 }), turns: fc.integer({ min: 0, max: 4 }) });

describe('ReadAhead', () => {
  it('yields every item in order, within its bounds on loads in flight, window and reserved bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(itemArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 1000 }),
        async (items, concurrency, window, budgetBytes) => {
          const r = await drive(items, { concurrency, window, budgetBytes });
          expect(r.error).toBeUndefined();
          expect(r.out).toEqual(items);
          expect(r.peakRunning).toBeLessThanOrEqual(concurrency);
          expect(r.peakWindow).toBeLessThanOrEqual(window);
          // Over budget only by one item: the first waiting one is granted when nothing is held.
          expect(r.peakHeld).toBeLessThanOrEqual(Math.max(budgetBytes, r.largestItem));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lets an item larger than the whole budget through instead of waiting forever', async () => {
    const items = [
      { size: 10, turns: 1 },
      { size: 5000, turns: 0 },
      { size: 10, turns: 2 },
    ];
    const r = await drive(items, { concurrency: 3, window: 3, budgetBytes: 100 });
    expect(r.out).toEqual(items);
    expect(r.peakHeld).toBe(5000);
  });

  it('loads concurrently: several loads are in flight when the budget allows', async () => {
    const items = Array.from({ length: 20 }, () => ({ size: 1, turns: 3 }));
    const r = await drive(items, { concurrency: 8, window: 32, budgetBytes: 1000 });
    expect(r.peakRunning).toBe(8);
  });

  it('reports a failed load when the consumer reaches it, after the items before it, and leaves nothing running', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(itemArb, { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.integer({ min: 1, max: 8 }),
        async (base, at, concurrency) => {
          const failing = at % base.length;
          const items = base.map((item, i) => (i === failing ? { ...item, fails: true } : item));
          const r = await drive(items, { concurrency, window: 2 * concurrency, budgetBytes: 500 });
          expect(String(r.error)).toContain(`load of ${failing} failed`);
          expect(r.out).toEqual(items.slice(0, failing));
          expect(r.runningAfterClose).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
