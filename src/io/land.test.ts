import { mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCorpus, type Delivery } from '../../test/support/corpus.js';
import { FaultyFs } from '../../test/support/faulty-fs.js';
import { loadSinkConfig } from '../config/sink-config.js';
import { planCloudWatchPayload } from '../core/write/plan-cloudwatch.js';
import { fs, installFsPort } from './fs-port.js';
import { landUnit } from './land.js';
import { rootLayout } from './layout.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-land-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const [delivery] = buildCorpus({
  streams: 1,
  payloadsPerStream: 1,
  eventsPerPayload: 4,
  startMs: Date.UTC(2025, 7, 6, 14, 59, 40),
  stepMs: 9_000,
}) as [Delivery];

describe('landUnit', () => {
  it('fsyncs the directory of a segment that is already there before acknowledging a redelivery', async () => {
    const layout = rootLayout(root);
    const config = loadSinkConfig({ root }, 'flags');
    const plan = planCloudWatchPayload(delivery.event.awslogs.data, config.template, 1 << 26).plan;
    expect(plan.segments.length).toBe(2); // one per hour, in two directories
    await landUnit(layout, plan);

    // The first delivery's writer may have died between its rename and its directory fsync.
    const recorder = new FaultyFs();
    const restore = recorder.install();
    let again: Awaited<ReturnType<typeof landUnit>>;
    try {
      again = await landUnit(layout, plan);
    } finally {
      restore();
    }
    expect(again).toEqual({ landed: 0, alreadyPresent: 2, bytes: 0 });
    for (const seg of plan.segments) {
      const dir = dirname(join(layout.segments, seg.relPath, seg.name));
      const syncs = recorder.calls.filter((c) => c.op === 'fh.sync' && c.path === dir);
      expect(syncs, `fsync of ${dir}`).toHaveLength(1);
    }
  });

  it('lands when an assembler removes the segment folder right after landing created it (state v2 empties it every pass)', async () => {
    const layout = rootLayout(root);
    const config = loadSinkConfig({ root }, 'flags');
    const plan = planCloudWatchPayload(delivery.event.awslogs.data, config.template, 1 << 26).plan;
    // Each segment folder is removed once, right after its mkdir: what an assembler's prune of an
    // empty folder does when it runs between a lander's mkdir and its open.
    const removed = new Set<string>();
    const mkdir = fs.mkdir;
    const restore = installFsPort({
      ...fs,
      mkdir: (async (path: string, opts?: unknown) => {
        const out = await (mkdir as (p: string, o?: unknown) => Promise<string | undefined>)(path, opts);
        const dir = String(path);
        if (dir.endsWith('.log') && !removed.has(dir)) {
          removed.add(dir);
          await rmdir(dir);
        }
        return out;
      }) as typeof fs.mkdir,
    });
    try {
      expect(await landUnit(layout, plan)).toMatchObject({ landed: 2, alreadyPresent: 0 });
    } finally {
      restore();
    }
    expect(removed.size).toBe(2);
    for (const seg of plan.segments)
      expect(await readdir(join(layout.segments, seg.relPath))).toEqual([seg.name]);
  });
});
