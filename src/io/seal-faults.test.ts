import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCorpus, type Delivery, readOutputs } from '../../test/support/corpus.js';
import { sweepFaults } from '../../test/support/faulty-fs.js';
import { loadSinkConfig } from '../config/sink-config.js';
import { isEfsinkError } from '../core/errors.js';
import { ingestCloudWatchLogsEvent } from '../lambda/cloudwatch-logs.js';
import { silentLogger } from '../observability/logger.js';
import { noMetrics } from '../observability/metrics.js';
import type { AssembleOptions } from './assemble-file.js';
import { forgetVerifiedDirs } from './confine.js';
import { rootLayout } from './layout.js';
import { forgetSealSchedule, sweepIdleState } from './seal.js';
import { createSink } from './sink.js';

/**
 * The fault sweep (ADR 0009) over a seal (ADR 0017): every file-system call a sealing sweep makes
 * is faulted in turn (ENOSPC, EDQUOT, EIO, ESTALE, ETIMEDOUT with the call done; all kinds with
 * `EFSINK_FAULT_SWEEP=full`). After each, the sweep reported or threw a coded failure, the files are
 * untouched, and a clean sweep then converges: every `done/` gone, the index empty, and a later pass
 * appends exactly what an unsealed file would get.
 */
const FULL = process.env.EFSINK_FAULT_SWEEP === 'full';
const DAY_MS = 86_400_000;
const REL14 = 'aws/apigateway/test/2025/08/06/14.log';
const REL15 = 'aws/apigateway/test/2025/08/06/15.log';
const early = buildCorpus({
  streams: 2,
  payloadsPerStream: 3,
  eventsPerPayload: 10,
  startMs: Date.UTC(2025, 7, 6, 14, 59, 45),
  stepMs: 1000,
});
const later = buildCorpus({
  streams: 1,
  payloadsPerStream: 1,
  eventsPerPayload: 3,
  startMs: Date.UTC(2025, 7, 6, 15, 30, 0),
  stepMs: 1000,
});
const base = join(tmpdir(), `efsink-seal-faults-${process.pid}`);

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function build(root: string, batches: readonly (readonly Delivery[])[], clockOffsetMs: number) {
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 0, assembleConcurrency: 1 }, 'flags');
  const sink = createSink(config, { log: silentLogger, now: () => Date.now() + clockOffsetMs });
  for (const b of batches) {
    for (const d of b)
      await ingestCloudWatchLogsEvent(d.event, { sink, config, log: silentLogger, metrics: noMetrics });
    expect((await sink.assemble()).failed).toEqual([]);
  }
}

/** Sealing options: any write older than 1 ms is idle, so no test has to wait for a real seal age. */
function sealOpts(root: string): AssembleOptions {
  return {
    layout: rootLayout(root),
    leaseMs: 30_000,
    clockSkewMs: 2_000,
    segmentRetentionMs: 0,
    maxBatchBytes: 1 << 20,
    holder: 'sealer',
    now: () => Date.now() + 5,
    log: silentLogger,
    sealAfterMs: 1,
  };
}

const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

describe('fault sweep over sealing (ADR 0017)', () => {
  it('a faulted seal fails with a code and changes no byte; a clean sweep then converges', async () => {
    const root = join(base, 'seal');
    const refRoot = join(base, 'ref');
    await rm(refRoot, { recursive: true, force: true });
    await build(refRoot, [early], 0);
    const reference = await readOutputs(refRoot);
    await rm(refRoot, { recursive: true, force: true });
    await build(refRoot, [early, later], 0);
    const referenceLater = await readOutputs(refRoot);

    const result = await sweepFaults({
      kinds: FULL ? 'all' : 'rotate',
      reset: async () => {
        forgetSealSchedule();
        await rm(root, { recursive: true, force: true });
        await mkdir(root, { recursive: true });
        await build(root, [early], -3 * DAY_MS); // registered in a bucket three days back
        forgetVerifiedDirs();
      },
      scenario: async () => {
        const report = await sweepIdleState(sealOpts(root));
        // A failure inside the sweep is reported, not thrown; turn it into the outcome.
        if (report.failures.length > 0) throw Object.assign(new Error('sweep failure'), report.failures[0]);
      },
      check: async (fault, point, outcome) => {
        const where = `${fault.kind} at call #${point.index} ${point.op} ${point.path.replace(root, '<root>')}`;
        if (outcome !== undefined) {
          const code = isEfsinkError(outcome) ? outcome.code : (outcome as { code?: unknown }).code;
          expect(code, where).toMatch(/^[A-Z][A-Z0-9_]+$/);
        }
        expect(await readOutputs(root), where).toEqual(reference);
        forgetVerifiedDirs();
        const clean = await sweepIdleState(sealOpts(root));
        expect(clean.failures, where).toEqual([]);
        for (const rel of [REL14, REL15])
          expect(await list(join(root, '.efsink/state', rel)), `${where}: ${rel}`).not.toContain('done');
        expect(await list(join(root, '.efsink/gc')), where).toEqual([]);
        expect(await readOutputs(root), where).toEqual(reference);
        await build(root, [later], 0);
        expect(await readOutputs(root), where).toEqual(referenceLater);
      },
    });
    console.log(`seal fault sweep: ${result.points} points, ${result.runs} runs, ${result.fired} fired`);
    expect(result.points).toBeGreaterThan(40);
    expect(result.fired).toBe(result.runs);
  }, 600_000);
});
