import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emfData, emfProblems } from '../../test/support/emf.js';
import { createEmfMetrics } from '../observability/emf-metrics.js';
import { silentLogger } from '../observability/logger.js';
import { startEmfPublisher } from './emf-publisher.js';
import { createReceiverMetrics, type ReceiverMetrics } from './metrics.js';

type Op =
  | { kind: 'landed'; records: number; bytes: number; segments: number }
  | { kind: 'duplicate' }
  | { kind: 'answered'; status: number; code: string }
  | { kind: 'pass'; failed: boolean; ageSeconds: number }
  | { kind: 'publish' };

const CODES = ['UNAUTHORIZED', 'BAD_REQUEST', 'OVERLOADED', 'FS_ENOSPC', 'SHUTTING_DOWN'];

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('landed' as const),
    records: fc.nat(500),
    bytes: fc.nat(1 << 20),
    segments: fc.nat(3),
  }),
  fc.constant({ kind: 'duplicate' as const }),
  fc.oneof(
    fc.constant({ kind: 'answered' as const, status: 200, code: '' }),
    fc.record({
      kind: fc.constant('answered' as const),
      status: fc.constantFrom(400, 401, 413, 500, 503),
      code: fc.constantFrom(...CODES),
    }),
  ),
  fc.record({ kind: fc.constant('pass' as const), failed: fc.boolean(), ageSeconds: fc.nat(7200) }),
  fc.constant({ kind: 'publish' as const }),
);

/** Applies one operation to the receiver's Prometheus metrics, as server.ts and assembler-loop.ts do. */
function apply(m: ReceiverMetrics, o: Exclude<Op, { kind: 'publish' }>): void {
  switch (o.kind) {
    case 'landed':
      m.records.inc(o.records);
      m.bytes.inc(o.bytes);
      m.segments.inc(o.segments);
      return;
    case 'duplicate':
      m.duplicates.inc();
      return;
    case 'answered':
      m.requests.inc({ status: String(o.status), code: o.code });
      return;
    case 'pass':
      m.oldestUnassembledAge.set(o.ageSeconds);
      m.assemblies.inc({ result: o.failed ? 'failed' : 'ok' });
      return;
  }
}

describe('startEmfPublisher', () => {
  it('emits valid EMF whose counts add up to exactly what was incremented, whenever it publishes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const m = createReceiverMetrics();
        const lines: string[] = [];
        const publisher = startEmfPublisher({
          source: m,
          emf: createEmfMetrics('efsink-receiver-test', (line) => lines.push(line)),
          intervalMs: 0,
          log: silentLogger,
        });
        const expected = new Map<string, number>();
        const add = (key: string, n: number) => expected.set(key, (expected.get(key) ?? 0) + n);
        const ages: number[] = [];
        let passSinceLastPublish: number | undefined;
        for (const o of ops) {
          if (o.kind === 'publish') {
            await publisher.publish();
            if (passSinceLastPublish !== undefined) ages.push(passSinceLastPublish);
            passSinceLastPublish = undefined;
            continue;
          }
          apply(m, o);
          if (o.kind === 'landed') {
            add('EventsReceived', o.records);
            add('BytesWritten', o.bytes);
            add('SegmentsLanded', o.segments);
          } else if (o.kind === 'duplicate') add('DuplicateUnits', 1);
          else if (o.kind === 'answered' && o.status !== 200) add(`Failures/${o.code}`, 1);
          else if (o.kind === 'pass') {
            add('AssemblyFailures', o.failed ? 1 : 0);
            passSinceLastPublish = o.ageSeconds;
          }
        }
        await publisher.stop();
        if (passSinceLastPublish !== undefined) ages.push(passSinceLastPublish);

        for (const line of lines) expect(emfProblems(line)).toEqual([]);
        const data = lines.flatMap(emfData);
        const emitted = new Map<string, number>();
        const emittedAges: number[] = [];
        for (const d of data) {
          expect(d.namespace).toBe('efsink');
          expect(d.dimensions.service).toBe('efsink-receiver-test');
          if (d.name === 'OldestUnassembledSegmentAgeSeconds') {
            emittedAges.push(...d.values);
            continue;
          }
          const key = d.name === 'Failures' ? `Failures/${d.dimensions.errorCode}` : d.name;
          expect(Object.keys(d.dimensions).sort()).toEqual(
            d.name === 'Failures' ? ['errorCode', 'service'] : ['service'],
          );
          emitted.set(key, (emitted.get(key) ?? 0) + d.values.reduce((a, b) => a + b, 0));
        }
        for (const name of [
          'EventsReceived',
          'BytesWritten',
          'SegmentsLanded',
          'DuplicateUnits',
          'AssemblyFailures',
        ])
          expect(emitted.get(name) ?? 0).toBe(expected.get(name) ?? 0);
        const failures = (map: Map<string, number>) =>
          Object.fromEntries([...map].filter(([k, v]) => k.startsWith('Failures/') && v > 0));
        expect(failures(emitted)).toEqual(failures(expected));
        expect(emittedAges).toEqual(ages);
      }),
      { numRuns: 60 },
    );
    // 60 runs of real prom-client registries: generous, as the machine is shared.
  }, 60_000);

  it('publishes on its interval without being asked', async () => {
    const m = createReceiverMetrics();
    const lines: string[] = [];
    const publisher = startEmfPublisher({
      source: m,
      emf: createEmfMetrics('efsink-receiver', (line) => lines.push(line)),
      intervalMs: 20,
      log: silentLogger,
    });
    m.records.inc(5);
    try {
      await expect.poll(() => lines.length, { timeout: 10_000, interval: 10 }).toBeGreaterThan(0);
    } finally {
      await publisher.stop();
    }
    const total = lines
      .flatMap(emfData)
      .filter((d) => d.name === 'EventsReceived')
      .reduce((sum, d) => sum + (d.values[0] ?? 0), 0);
    expect(total).toBe(5);
  });
});
