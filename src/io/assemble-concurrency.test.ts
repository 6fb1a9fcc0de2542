import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCorpus, readOutputs } from '../../test/support/corpus.js';
import { loadSinkConfig } from '../config/sink-config.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { silentLogger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import type { AssembleReport } from './assemble.js';
import { mapBounded } from './map-bounded.js';
import { createSink } from './sink.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapBounded', () => {
  it('keeps at most `limit` calls in flight, uses all of them, and answers in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 1, 2, 5, 1], 3, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await tick(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(most).toBe(3);
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:1', '6:2', '7:5', '8:1']);
  });

  it('after a failure starts nothing new, waits for the calls in flight, then rejects with the first error', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = mapBounded([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      await tick(i === 1 ? 1 : 20);
      settled.push(i);
      if (i === 1) throw new Error('one');
      return i;
    });
    await expect(run).rejects.toThrow('one');
    expect(started).toEqual([0, 1]);
    expect(settled.sort()).toEqual([0, 1]);
  });

  it('runs serially with a limit of 1 and copes with an empty list', async () => {
    const order: string[] = [];
    await mapBounded([1, 2, 3], 1, async (i) => {
      order.push(`start ${i}`);
      await tick(1);
      order.push(`end ${i}`);
    });
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(await mapBounded([], 4, async () => 1)).toEqual([]);
  });
});

// 60 s per test: 4 passes over 14 files with fsyncs, on a shared machine at load 20+.
describe('an assembly pass over many output files', { timeout: 60_000 }, () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'efsink-files-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  // 7 streams, each its own file, crossing an hour: 14 output files.
  const corpus = buildCorpus({
    streams: 7,
    payloadsPerStream: 5,
    eventsPerPayload: 9,
    startMs: Date.UTC(2025, 7, 6, 14, 59, 30),
    stepMs: 1_000,
  });

  /** Lands the corpus in a fresh root (spoiling one file), runs one pass; counts files worked on at once. */
  async function passWith(concurrency: number, spoil: boolean) {
    const root = join(base, `c${concurrency}-${spoil}`);
    const config = loadSinkConfig(
      { root, pathTemplate: '{logStream}/{yyyy}/{MM}/{dd}/{HH}.log', assembleConcurrency: concurrency },
      'flags',
    );
    let inFlight = 0;
    let most = 0;
    const sink = createSink(config, {
      log: silentLogger,
      onStep: async (step) => {
        if (step === 'lease-acquired') {
          most = Math.max(most, ++inFlight);
          await tick(5); // keep the file open long enough for others to start
        }
        if (step === 'released') inFlight--;
      },
    });
    for (const d of corpus)
      await ingestCloudWatchLogsEvent(d.event, { config, sink, log: silentLogger, metrics: noMetrics });
    // A file nobody's journal describes: the pass must report it failed and carry on with the rest.
    // (Its pass stops after 'lease-acquired', so the in-flight count is only kept without it.)
    if (spoil) await mkdir(join(root, 'stream-3/2025/08/06'), { recursive: true });
    if (spoil) await writeFile(join(root, 'stream-3/2025/08/06/15.log'), 'not ours\n');
    const report = await sink.assemble();
    return { report, most, root, outputs: await readOutputs(root) };
  }

  /** The report without the root's own path (messages name the file). */
  const comparable = (r: AssembleReport, root: string) =>
    JSON.parse(JSON.stringify({ files: r.files, failed: r.failed }).replaceAll(root, '<root>'));

  it('works on up to the configured number of files at once', async () => {
    const serial = await passWith(1, false);
    const four = await passWith(4, false);
    expect(serial.most).toBe(1);
    expect(four.most).toBe(4);
    expect(four.report.files.map((f) => f.status)).toEqual(Array(14).fill('assembled'));
    expect(four.outputs).toEqual(serial.outputs);
  });

  it('gives the report and the files of a serial pass, failures included', async () => {
    const serial = await passWith(1, true);
    const four = await passWith(4, true);
    expect(serial.report.files).toHaveLength(13);
    expect(serial.report.failed.map((f) => [f.relPath, f.code])).toEqual([
      ['stream-3/2025/08/06/15.log', 'ASSEMBLE_OUTPUT_NOT_OURS'],
    ]);
    expect(comparable(four.report, four.root)).toEqual(comparable(serial.report, serial.root));
    expect(four.outputs.size).toBe(14);
    expect(four.outputs).toEqual(serial.outputs);
  });
});
