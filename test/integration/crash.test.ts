import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, runCli, spawnCli, writeEventFiles } from '../support/cli.js';
import { buildCorpus, readOutputs } from '../support/corpus.js';

/**
 * SIGKILL at arbitrary moments, then run again: the files must be identical to an uninterrupted
 * run. Two ways to pick the moment: at random times (covers everything, including landing), and at
 * every named step of assembly (covers each window between write, fsync and journal commit).
 */
let work: string;
let files: string[];
let reference: Map<string, Buffer>;
// Small batches so that one assembly pass makes several append + fsync + commit rounds.
const ASSEMBLE = ['--segment-retention-seconds', '0', '--max-batch-bytes', '20000'];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-crash-'));
  const corpus = buildCorpus({
    streams: 3,
    payloadsPerStream: 14,
    eventsPerPayload: 60,
    startMs: Date.UTC(2025, 7, 6, 14, 58, 0),
    stepMs: 900,
  });
  files = await writeEventFiles(
    join(work, 'in'),
    corpus.map((d) => d.event),
  );
  const root = join(work, 'reference');
  expect((await runCli(['ingest', 'cloudwatch', '--root', root, ...files])).code).toBe(0);
  expect((await runCli(['assemble', '--root', root, ...ASSEMBLE])).code).toBe(0);
  reference = await readOutputs(root);
  expect(reference.size).toBe(2);
  // Landed but not assembled: the starting point of every step-kill case.
  expect((await runCli(['ingest', 'cloudwatch', '--root', join(work, 'landed'), ...files])).code).toBe(0);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs the command and SIGKILLs it after `delayMs` (if it has not finished by then). */
async function killAfter(args: string[], delayMs: number): Promise<void> {
  const child = spawnCli(args);
  child.stdin?.end();
  const done = finished(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  await done;
  clearTimeout(timer);
}

describe('crash safety (real SIGKILL)', () => {
  it('converges after ingest and assembly are killed at random moments', async () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 8; round++) {
      const root = join(work, `random-${round}`);
      // Node needs ~100–300 ms to start; kill anywhere from start-up to well into the work.
      await killAfter(['ingest', 'cloudwatch', '--root', root, ...files], 100 + rand() * 900);
      await killAfter(['ingest', 'cloudwatch', '--root', root, ...files], 100 + rand() * 900);
      expect((await runCli(['ingest', 'cloudwatch', '--root', root, ...files])).code).toBe(0);
      await killAfter(['assemble', '--root', root, ...ASSEMBLE], 100 + rand() * 600);
      await killAfter(['assemble', '--root', root, ...ASSEMBLE], 100 + rand() * 600);
      const last = await runCli(['assemble', '--root', root, ...ASSEMBLE]);
      expect(last.code, last.stderr).toBe(0);
      expect(await readOutputs(root)).toEqual(reference);
    }
    // ~30 s on an idle 2-core machine; generous because CI machines are shared.
  }, 600_000);

  const steps = [
    'lease-acquired',
    'epoch-claimed',
    'copy-journaled',
    'journal-opened',
    'marked',
    'before-append',
    'appended',
    'synced',
    'committed',
    'retired',
    'released',
  ];
  it.each(steps.flatMap((step) => [1, 2].map((nth) => [step, nth] as const)))(
    'converges after assembly is killed at step %s (occurrence %i)',
    async (step, nth) => {
      const root = join(work, `step-${step}-${nth}`);
      await cp(join(work, 'landed'), root, { recursive: true });
      const child = spawnCli(['assemble', '--root', root, ...ASSEMBLE], {
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
      const reached = (await done).signal === 'SIGKILL';
      // A second, interrupted pass in the middle of the repair, at the same step, then a clean one.
      if (reached) await killAfter(['assemble', '--root', root, ...ASSEMBLE], 250);
      const last = await runCli(['assemble', '--root', root, ...ASSEMBLE]);
      expect(last.code, last.stderr).toBe(0);
      expect(await readOutputs(root)).toEqual(reference);
      // Every step is reached on a first pass (a new output file is created through the copy path).
      expect(reached).toBe(true);
    },
  );
});
