import { appendFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import {
  type CloudWatchLogsServer,
  createCloudWatchLogsTestClient,
  startCloudWatchLogsServer,
} from '../support/cloudwatch-logs-server.js';
import { readOutputs } from '../support/corpus.js';
import { GROUP, HOUR, runBackfill, runVerify, seedEvents, T0 } from './backfill-support.js';

let work: string;
let server: CloudWatchLogsServer;
let client: CloudWatchLogsClient;
let root: string;
const RANGE = { startMs: T0, endMs: T0 + 3 * HOUR };
const FILE_14 = 'aws/apigateway/access/2025/08/06/14.log';

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-verify-'));
  server = await startCloudWatchLogsServer({ maxEventsPerPage: 50 });
  client = createCloudWatchLogsTestClient(server.endpoint);
  seedEvents(server, 3, 100, 60_000);
  root = join(work, 'efs');
  await runBackfill(client, root, RANGE);
});
afterEach(async () => {
  client.destroy();
  await server.stop();
  await rm(work, { recursive: true, force: true });
});

/** Rewrites one assembled file (the journal still describes it: verify reads bytes, not journals). */
async function edit(rel: string, change: (text: string) => string): Promise<void> {
  const path = join(root, rel);
  await writeFile(path, Buffer.from(change((await readFile(path)).toString('latin1')), 'latin1'));
}

describe('efsink verify cloudwatch', () => {
  it('reports an exact match for a faithful copy, with any number of partitions', async () => {
    for (const partitions of [1, 7, 64]) {
      const v = await runVerify(client, root, RANGE, partitions);
      expect(v.partitions).toBe(partitions);
      expect(v.comparison).toMatchObject({
        sourceLines: v.comparison.storedLines,
        missing: { count: 0 },
        extra: { count: 0 },
        duplicated: { count: 0 },
      });
      expect(v.sourceEvents).toBe(300);
    }
  });

  it('catches a deleted line, a duplicated line, an extra line and a one-byte flip, with samples', async () => {
    await edit(FILE_14, (t) => {
      const lines = t.split('\n');
      const dup = lines[10] as string;
      const gone = lines.splice(20, 1)[0] as string;
      lines.splice(30, 0, dup, 'not from the source');
      lines[40] = (lines[40] as string).replace('GET', 'GeT');
      expect(gone.length).toBeGreaterThan(0);
      return lines.join('\n');
    });
    const v = await runVerify(client, root, RANGE, 5);
    const c = v.comparison;
    expect(c.missing.count).toBe(2); // the deleted line and the flipped line's original
    expect(c.extra.count).toBe(2); // the foreign line and the flipped line
    expect(c.duplicated.count).toBe(1);
    expect(c.extra.samples.map((s) => s.line)).toContain('not from the source\n');
    expect(c.extra.samples.some((s) => s.line.includes('GeT'))).toBe(true);
    expect(c.duplicated.samples[0]).toMatchObject({ relPath: FILE_14, times: 1 });
  });

  it('catches a truncated file (a line cut short, lines lost) and an emptied file', async () => {
    const path = join(root, FILE_14);
    const size = (await readFile(path)).length;
    await truncate(path, size - 10);
    const v = await runVerify(client, root, RANGE);
    expect(v.comparison.missing.count).toBeGreaterThanOrEqual(1);
    expect(v.comparison.extra.count).toBe(1); // the cut line, now without its \n
    await truncate(path, 0);
    const w = await runVerify(client, root, RANGE);
    expect(w.comparison.missing.count).toBeGreaterThan(50);
  });

  it('catches lines put in the wrong file (an extra file for a hour holds lines of another)', async () => {
    const files = await readOutputs(root);
    const fifteen = FILE_14.replace('14.log', '15.log');
    await appendFile(join(root, fifteen), (files.get(FILE_14) as Buffer).subarray(0, 200));
    const v = await runVerify(client, root, RANGE);
    expect(v.comparison.extra.count).toBeGreaterThan(0);
  });

  it('CLI: exit 0 on a match, exit 3 with a readable report and --json on a mismatch', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'us-east-1',
    };
    const args = [
      'verify',
      'cloudwatch',
      '--log-group',
      GROUP,
      '--start',
      new Date(RANGE.startMs).toISOString(),
      '--end',
      new Date(RANGE.endMs).toISOString(),
      '--root',
      root,
      '--endpoint',
      server.endpoint,
    ];
    const good = await runCli(args, env);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/EXACT MATCH/);
    await edit(FILE_14, (t) => t.replace('req-0-', 'req-O-'));
    const bad = await runCli(args, env);
    expect(bad.code).toBe(3); // differences found: distinct from 1, could not run
    expect(bad.stdout).toMatch(/missing: 1 {2}extra: 1 {2}duplicated: 0/);
    const json = await runCli([...args, '--json'], env);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, comparison: { missing: { count: 1 } } });
    const usage = await runCli(
      ['verify', 'cloudwatch', '--log-group', GROUP, '--start', 'yesterday', '--root', root],
      env,
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/CLI_USAGE: --start: must be ISO 8601 with a zone .* got "yesterday"/);
    // Could not run (the source is unreachable): exit 1, distinct from 3 (ran, found differences).
    const down = await runCli(
      [...args.map((a) => (a === server.endpoint ? 'http://127.0.0.1:1' : a)), '--max-attempts', '1'],
      env,
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^SOURCE_RETRIES_EXHAUSTED: /m);
  });
});
