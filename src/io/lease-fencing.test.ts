import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCorpus, type Delivery, readOutputs } from '../../test/support/corpus.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { silentLogger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import { createSink, type Sink } from './sink.js';

/**
 * Issue 11 item 3 and 6: the interleavings that let two assemblers write one file, driven step by
 * step with the onStep hooks (each pass runs as a promise that stops at a named step until the test
 * lets it go). Every test ends by comparing the files with an uninterrupted run of the same
 * deliveries: a lost, doubled or NUL-filled line fails it.
 */
const REL = 'aws/apigateway/test/2025/08/06/14.log';
const corpus = buildCorpus({
  streams: 2,
  payloadsPerStream: 6,
  eventsPerPayload: 5,
  startMs: Date.UTC(2025, 7, 6, 14, 10, 0),
  stepMs: 1000,
});
const first = corpus.filter((_, i) => i % 3 === 0);
const second = corpus.filter((_, i) => i % 3 === 1);
const third = corpus.filter((_, i) => i % 3 === 2);

let root: string;
let now: number;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-lease-'));
  now = Date.now();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

type Gate = { reached: Promise<void>; release: () => void };
/** A sink whose pass stops at `step` (its `nth` occurrence) until `release()` is called. */
function pausingSink(holder: string, step: string, nth = 1): { sink: Sink; config: SinkConfig; gate: Gate } {
  let reach!: () => void;
  let go!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const released = new Promise<void>((r) => (go = r));
  let seen = 0;
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 0, leaseSeconds: 30 }, 'flags');
  const sink = createSink(config, {
    log: silentLogger,
    holder,
    now: () => now,
    onStep: async (s) => {
      if (s !== step || ++seen !== nth) return;
      reach();
      await released;
    },
  });
  return { sink, config, gate: { reached, release: go } };
}

function plainSink(holder: string): { sink: Sink; config: SinkConfig } {
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 0, leaseSeconds: 30 }, 'flags');
  return { config, sink: createSink(config, { log: silentLogger, holder, now: () => now }) };
}

async function deliver(s: { sink: Sink; config: SinkConfig }, ds: readonly Delivery[]): Promise<void> {
  for (const d of ds)
    await ingestCloudWatchLogsEvent(d.event, { ...s, log: silentLogger, metrics: noMetrics });
}

async function reference(...batches: (readonly Delivery[])[]): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(tmpdir(), 'efsink-lease-ref-'));
  const config = loadSinkConfig({ root: dir, segmentRetentionSeconds: 0 }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  for (const b of batches) {
    await deliver({ config, sink }, b);
    await sink.assemble();
  }
  const out = await readOutputs(dir);
  await rm(dir, { recursive: true, force: true });
  return out;
}

describe('the lease never admits two writers (issue 11 item 3)', () => {
  it('a holder paused inside its release does not free the lease of the holder that broke it', async () => {
    const a = pausingSink('A', 'lease-releasing');
    await deliver(a, first);
    const passA = a.sink.assemble();
    await a.gate.reached; // A appended `first`, marked its journal released, and is releasing its lease
    await deliver(a, second);
    now += 60_000; // ... for longer than its lease: B breaks it
    const b = pausingSink('B', 'epoch-claimed');
    const passB = b.sink.assemble();
    await b.gate.reached; // B holds the lease and has read the state; it will take over
    a.gate.release();
    await passA; // A finishes releasing: it must not remove B's lease
    const c = plainSink('C');
    await deliver(c, third);
    const reportC = await c.sink.assemble(); // C must see B's live lease and stay away
    expect(reportC.files.find((f) => f.relPath === REL)?.status).toBe('busy');
    b.gate.release();
    await passB;
    await plainSink('D').sink.assemble();
    expect(await readOutputs(root)).toEqual(await reference(first, second, third));
  }, 60_000);

  it('while a breaker is between judging a lease dead and taking it, a third pass never reuses the file as a clean successor', async () => {
    const p = plainSink('P');
    await deliver(p, first);
    await p.sink.assemble(); // a clean pass: its journal is released
    const a = pausingSink('A', 'epoch-claimed');
    await deliver(a, second);
    const passA = a.sink.assemble();
    await a.gate.reached; // A holds the lease, has not written its journal yet, and freezes
    now += 60_000;
    const b = pausingSink('B', 'lease-judged');
    const passB = b.sink.assemble();
    await b.gate.reached; // B judged A's lease dead and is taking it
    const c = plainSink('C');
    await deliver(c, third);
    const reportC = (await c.sink.assemble()).files.find((f) => f.relPath === REL);
    // A may wake up and write: C must either stay away or fence A off with a copy.
    expect(reportC?.status === 'busy' || reportC?.tookOver === true).toBe(true);
    b.gate.release();
    expect((await passB).files.find((f) => f.relPath === REL)?.status).toBe('busy');
    a.gate.release();
    await passA; // A wakes: whatever it reports, it must change nothing
    await plainSink('D').sink.assemble();
    expect(await readOutputs(root)).toEqual(await reference(first, [...second, ...third]));
  }, 60_000);

  it('a takeover paused past the segment retention before its rename publishes nothing old', async () => {
    const a = plainSink('A');
    await deliver(a, first);
    await a.sink.assemble();
    // A holder froze mid-pass (its journal not released): the next pass must take over.
    const stateDir = join(root, '.efsink/state', REL);
    const t = pausingSink('T', 'copy-journaled');
    await deliver(t, second);
    now += 1; // nothing expired; T takes over because the output file's journal says a pass is open
    await markJournalOpen(stateDir);
    const passT = t.sink.assemble();
    await t.gate.reached; // T copied the committed prefix and wrote its journal; it freezes before its rename
    now += 3_600_000; // longer than T's lease and than any segment retention
    const u = plainSink('U');
    await deliver(u, third);
    expect((await u.sink.assemble()).failed).toEqual([]); // U breaks T, takes over, appends, prunes
    await u.sink.assemble();
    t.gate.release();
    const reportT = await passT;
    expect(reportT.failed.map((f) => f.code)).toEqual([
      expect.stringMatching(/^ASSEMBLE_(LEASE_LOST|FENCED)$/),
    ]);
    await plainSink('V').sink.assemble();
    expect(await readOutputs(root)).toEqual(await reference(first, [...second, ...third]));
  }, 60_000);
});

describe('an output file truncated by someone else (issue 11 item 6)', () => {
  it('is refused with ASSEMBLE_OUTPUT_MISSING, never written at the committed offset', async () => {
    const a = plainSink('A');
    await deliver(a, first);
    await a.sink.assemble();
    const out = join(root, REL);
    const full = await readFile(out);
    await truncate(out, Math.floor(full.length / 2));
    await deliver(a, second);
    const report = await a.sink.assemble();
    expect(report.failed).toEqual([
      expect.objectContaining({ relPath: REL, code: 'ASSEMBLE_OUTPUT_MISSING' }),
    ]);
    const after = await readFile(out);
    expect(after).toEqual(full.subarray(0, Math.floor(full.length / 2)));
    expect(after.includes(0)).toBe(false);
    // Once the operator restores it, the next pass continues.
    await writeFile(out, full);
    const fh = await open(out, 'r');
    await fh.close();
    expect((await a.sink.assemble()).failed).toEqual([]);
    expect(await readOutputs(root)).toEqual(await reference(first, second));
  }, 60_000);
});

/** What a holder that froze mid-pass leaves: its journal not released. */
async function markJournalOpen(stateDir: string): Promise<void> {
  const { readdir } = await import('node:fs/promises');
  const names = (await readdir(stateDir)).filter((n) => n.startsWith('journal-')).sort();
  const last = join(stateDir, names[names.length - 1] as string);
  const j = JSON.parse(await readFile(last, 'utf8')) as { released: boolean };
  await writeFile(last, JSON.stringify({ ...j, released: false }));
}
