import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { dayBucket } from '../../src/io/activity-index.js';
import { createSink } from '../../src/io/sink.js';
import { ingestCloudWatchLogsEvent } from '../../src/lambda/cloudwatch-logs.js';
import { silentLogger } from '../../src/observability/logger.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { finished, runCli, spawnCli } from '../support/cli.js';
import { buildCorpus, type Delivery, readOutputs } from '../support/corpus.js';

/**
 * Sealing (ADR 0017) killed with SIGKILL at each of its named steps, then run again: the rerun must
 * converge — every `done/` folder gone, the activity index empty, the lease free with a released
 * head, the files byte-identical — and a later pass must still append correctly.
 */
const SEAL = ['--seal-after-seconds', '1', '--segment-retention-seconds', '0'];
const DAY_MS = 86_400_000;
const REL14 = 'aws/apigateway/test/2025/08/06/14.log';
const REL15 = 'aws/apigateway/test/2025/08/06/15.log';
const early = buildCorpus({
  streams: 2,
  payloadsPerStream: 6,
  eventsPerPayload: 10,
  startMs: Date.UTC(2025, 7, 6, 14, 59, 30),
  stepMs: 1000,
});
const later = buildCorpus({
  streams: 1,
  payloadsPerStream: 2,
  eventsPerPayload: 5,
  startMs: Date.UTC(2025, 7, 6, 15, 30, 0),
  stepMs: 1000,
});
const STEPS = [
  'lease-acquired',
  'epoch-claimed',
  'seal-judged',
  'seal-markers-removed',
  'seal-done-removed',
  'released',
  'lease-releasing',
  'seal-entry-removed',
] as const;
const CASES = STEPS.flatMap((step) => [1, 2].map((nth) => [step, nth] as const));

let work: string;
let reference: Map<string, Buffer>;
let referenceLater: Map<string, Buffer>;

/** Lands and assembles `batches` in process, with a clock `clockOffsetMs` away from now. */
async function build(
  root: string,
  batches: readonly (readonly Delivery[])[],
  clockOffsetMs = 0,
): Promise<void> {
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 0 }, 'flags');
  const sink = createSink(config, { log: silentLogger, now: () => Date.now() + clockOffsetMs });
  for (const b of batches) {
    for (const d of b)
      await ingestCloudWatchLogsEvent(d.event, { sink, config, log: silentLogger, metrics: noMetrics });
    const report = await sink.assemble();
    expect(report.failed).toEqual([]);
  }
}

const rootOf = (step: string, nth: number) => join(work, `${step}-${nth}`);
const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-seal-crash-'));
  await build(join(work, 'ref'), [early]);
  reference = await readOutputs(join(work, 'ref'));
  expect([...reference.keys()].sort()).toEqual([REL14, REL15]);
  await build(join(work, 'ref-later'), [early, later]);
  referenceLater = await readOutputs(join(work, 'ref-later'));
  // Every case's root: assembled three days ago by the clock, so that its activity-index bucket is
  // a day long past; then everything waits past the seal age (1 s) once.
  for (const [step, nth] of CASES) {
    await mkdir(rootOf(step, nth), { recursive: true });
    await build(rootOf(step, nth), [early], -3 * DAY_MS);
    const gc = join(rootOf(step, nth), '.efsink/gc');
    expect(await list(gc)).toEqual([dayBucket(Date.now() - 3 * DAY_MS)]);
  }
  await new Promise((r) => setTimeout(r, 1_500));
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expectConverged(root: string): Promise<void> {
  for (const rel of [REL14, REL15]) {
    const stateDir = join(root, '.efsink/state', rel);
    const names = await list(stateDir);
    expect(names, rel).not.toContain('done');
    expect((await list(join(stateDir, 'batches'))).length, rel).toBeGreaterThan(0);
    // The lease is free, and the newest head is released.
    const heads = names.filter((n) => n.startsWith('journal-')).sort();
    const claims = names.filter((n) => n.startsWith('claim-')).sort();
    const head = JSON.parse(await readFile(join(stateDir, heads.at(-1) as string), 'utf8'));
    expect(head.released, rel).toBe(true);
    const newestClaim = claims.at(-1) as string;
    const claimReleased =
      JSON.parse(await readFile(join(stateDir, newestClaim), 'utf8')).released === true ||
      heads.at(-1) === newestClaim.replace('claim-', 'journal-').concat('.json');
    expect(claimReleased, `${rel}: ${newestClaim} still held`).toBe(true);
  }
  expect(await list(join(root, '.efsink/gc'))).toEqual([]);
  expect(await readOutputs(root)).toEqual(reference);
}

describe('sealing crash safety (real SIGKILL, ADR 0017)', () => {
  it.each(CASES)('converges after a seal is killed at step %s (occurrence %i)', async (step, nth) => {
    const root = rootOf(step, nth);
    const child = spawnCli(['assemble', '--root', root, ...SEAL], {
      EFSINK_TEST_PAUSE_AT: step,
      EFSINK_TEST_PAUSE_NTH: String(nth),
    });
    child.stdin?.end();
    const done = finished(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(`step ${step}`)) child.kill('SIGKILL');
    });
    const killed = await done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL'); // every step is reached, for both files
    const rerun = await runCli(['assemble', '--root', root, ...SEAL]);
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectConverged(root);
    // The sealed files still take new segments, and nothing else changes.
    await build(root, [later]);
    expect(await readOutputs(root)).toEqual(referenceLater);
  });

  it('an entry is only a hint: a file written since is moved to the bucket of its last write and keeps its markers', async () => {
    const root = join(work, 'renamed');
    await build(root, [early], -3 * DAY_MS);
    const gc = join(root, '.efsink/gc');
    await rename(join(gc, dayBucket(Date.now() - 3 * DAY_MS)), join(gc, '20200101'));
    // Written just now: judged active, moved to today's bucket, nothing removed.
    const first = await runCli(['assemble', '--root', root, ...SEAL.slice(0, 1), '3600', ...SEAL.slice(2)]);
    expect(first.code, first.stderr).toBe(0);
    expect(await list(gc)).toEqual([dayBucket(Date.now())]);
    expect((await list(join(root, '.efsink/state', REL14, 'done'))).length).toBeGreaterThan(0);
  });
});
