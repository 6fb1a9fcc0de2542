import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCorpus, type Delivery, readOutputs } from '../../test/support/corpus.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { planCloudWatchPayload } from '../core/write/plan-cloudwatch.js';
import { silentLogger } from '../observability/logger.js';
import { forgetVerifiedDirs } from './confine.js';
import { createSink, type Sink } from './sink.js';

/**
 * Issue 11 item 5: a symlink planted anywhere under the root is refused with FS_SYMLINK_REFUSED,
 * and nothing is written where it points. Real symlinks, at every level efsink writes through.
 */
let base: string;
let root: string;
let elsewhere: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'efsink-confine-'));
  root = join(base, 'root');
  elsewhere = join(base, 'elsewhere');
  await mkdir(root);
  await mkdir(elsewhere);
  forgetVerifiedDirs(); // each test plants its symlink before efsink first looks
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const [delivery] = buildCorpus({
  streams: 1,
  payloadsPerStream: 1,
  eventsPerPayload: 3,
  startMs: Date.UTC(2025, 7, 6, 14, 10),
  stepMs: 1000,
  logGroup: 'lg',
}) as [Delivery];
const REL = 'lg/2025/08/06/14.log';

function setup(segmentRetentionSeconds = 0): { config: SinkConfig; sink: Sink } {
  const config = loadSinkConfig({ root, segmentRetentionSeconds }, 'flags');
  return { config, sink: createSink(config, { log: silentLogger }) };
}

function land(s: { config: SinkConfig; sink: Sink }) {
  return s.sink.land(planCloudWatchPayload(delivery.event.awslogs.data, s.config.template, 1 << 26).plan);
}

async function plant(linkRel: string): Promise<void> {
  const link = join(root, linkRel);
  await mkdir(join(link, '..'), { recursive: true });
  await symlink(elsewhere, link);
}

async function elsewhereIsEmpty(): Promise<void> {
  expect(await readdir(elsewhere, { recursive: true })).toEqual([]);
}

const refused = expect.objectContaining({ code: 'FS_SYMLINK_REFUSED' });

describe('symlinks under the root', () => {
  it('lands and assembles normally without symlinks (the baseline the cases below differ from)', async () => {
    const s = setup();
    await land(s);
    expect((await s.sink.assemble()).failed).toEqual([]);
    expect([...(await readOutputs(root)).keys()]).toEqual([REL]);
  });

  it.each([
    ['.efsink'],
    ['.efsink/segments'],
    ['.efsink/segments/lg'],
    ['.efsink/segments/lg/2025/08'],
    ['.efsink/tmp'],
  ])('refuses landing through %s -> elsewhere', async (linkRel) => {
    await plant(linkRel);
    const s = setup();
    await expect(land(s)).rejects.toThrow(refused);
    await elsewhereIsEmpty();
  });

  it.each([
    ['lg'],
    ['lg/2025'],
    ['lg/2025/08/06'],
    ['.efsink/state'],
    ['.efsink/state/lg/2025'],
    ['.efsink/state/lg/2025/08/06/14.log'],
    // State v2 (ADR 0013): the done/ markers and batch records of the file.
    ['.efsink/state/lg/2025/08/06/14.log/done'],
    ['.efsink/state/lg/2025/08/06/14.log/batches'],
  ])('refuses assembling through %s -> elsewhere, reporting FS_SYMLINK_REFUSED', async (linkRel) => {
    const s = setup();
    await land(s);
    await plant(linkRel);
    const report = await s.sink.assemble();
    expect(report.failed).toEqual([expect.objectContaining({ relPath: REL, code: 'FS_SYMLINK_REFUSED' })]);
    await elsewhereIsEmpty();
  });

  it('refuses retiring assembled segments through .efsink/retired -> elsewhere', async () => {
    const s = setup(3600); // kept under retired/ for an hour, instead of deleted at once
    await land(s);
    await plant('.efsink/retired');
    // The file's retirement fails, and the pass's pruning of retired/ refuses the folder as a whole.
    await expect(s.sink.assemble()).rejects.toThrow(refused);
    await elsewhereIsEmpty();
  });

  it('refuses a redelivery when the done/ markers folder is a symlink (a planted marker must not drop a unit)', async () => {
    const s = setup();
    await land(s);
    expect((await s.sink.assemble()).failed).toEqual([]);
    const done = join(root, '.efsink/state', REL, 'done');
    await rm(done, { recursive: true });
    await symlink(elsewhere, done);
    forgetVerifiedDirs();
    await expect(land(s)).rejects.toThrow(refused);
    await elsewhereIsEmpty();
  });

  it('refuses an output file that is a symlink, and leaves its target alone', async () => {
    const s = setup();
    await land(s);
    await mkdir(join(root, 'lg/2025/08/06'), { recursive: true });
    const target = join(elsewhere, 'victim');
    await writeFile(target, 'untouched\n');
    await symlink(target, join(root, REL));
    const report = await s.sink.assemble();
    expect(report.failed).toEqual([expect.objectContaining({ relPath: REL, code: 'FS_SYMLINK_REFUSED' })]);
    expect(await readdir(elsewhere)).toEqual(['victim']);
    expect((await readOutputs(elsewhere)).get('victim')?.toString()).toBe('untouched\n');
  });

  it('refuses a segment that is a symlink (a redelivery would otherwise count it as landed)', async () => {
    const s = setup();
    await land(s);
    const segDir = join(root, '.efsink/segments', REL);
    const [name] = (await readdir(segDir)) as [string];
    await rm(join(segDir, name));
    await symlink(join(elsewhere, 'x'), join(segDir, name));
    await expect(land(s)).rejects.toThrow(refused);
  });

  it('refuses the segment tree as a whole when .efsink/segments is a symlink (no walk, no prune there)', async () => {
    const s = setup();
    await land(s);
    await rm(join(root, '.efsink/segments'), { recursive: true });
    await mkdir(join(elsewhere, 'lg'), { recursive: true });
    await writeFile(join(elsewhere, 'lg', 'keep.seg'), 'not ours');
    await symlink(elsewhere, join(root, '.efsink/segments'));
    forgetVerifiedDirs();
    await expect(s.sink.assemble()).rejects.toThrow(refused);
    expect(await readdir(join(elsewhere, 'lg'))).toEqual(['keep.seg']);
  });

  it('creates a root that does not exist yet (the CLI and the NFS suite rely on it)', async () => {
    root = join(base, 'new', 'root');
    const s = setup();
    await land(s);
    expect((await s.sink.assemble()).failed).toEqual([]);
    expect([...(await readOutputs(root)).keys()]).toEqual([REL]);
  });

  it('follows a symlink in the root path itself (the mount point is the operator’s choice)', async () => {
    const linkedRoot = join(base, 'linked-root');
    await symlink(root, linkedRoot);
    const config = loadSinkConfig({ root: linkedRoot, segmentRetentionSeconds: 0 }, 'flags');
    const s = { config, sink: createSink(config, { log: silentLogger }) };
    await land(s);
    expect((await s.sink.assemble()).failed).toEqual([]);
    expect([...(await readOutputs(root)).keys()]).toEqual([REL]);
  });
});
