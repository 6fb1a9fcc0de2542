import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, writeEventFiles } from '../support/cli.js';
import {
  buildCorpus,
  expectedMultiset,
  lineMultiset,
  readOutputs,
  streamOrderKept,
} from '../support/corpus.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-cli-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const corpus = buildCorpus({
  streams: 2,
  payloadsPerStream: 5,
  eventsPerPayload: 20,
  startMs: Date.UTC(2025, 7, 6, 14, 59, 30),
  stepMs: 700,
});
const data = (text: string | Buffer) => ({ awslogs: { data: gzipSync(text).toString('base64') } });

describe('efsink ingest cloudwatch + assemble (spawned CLI)', () => {
  it('lands every unit, reports duplicates, and assembles byte-exact files', async () => {
    const root = join(work, 'efs');
    const files = await writeEventFiles(
      join(work, 'in'),
      corpus.map((d) => d.event),
    );
    const first = await runCli(['ingest', 'cloudwatch', '--root', root, ...files]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('ingested 10 unit(s): 200 events');
    const again = await runCli(['ingest', 'cloudwatch', '--root', root, ...files.slice(0, 4)]);
    expect(again.stdout).toContain('4 duplicate(s), 0 failed');
    const asm = await runCli([
      'assemble',
      '--root',
      root,
      '--segment-retention-seconds',
      '0',
      '--assemble-concurrency',
      '3',
    ]);
    expect(asm.code).toBe(0);
    const out = await readOutputs(root);
    expect(lineMultiset(out)).toEqual(expectedMultiset(corpus));
    expect(streamOrderKept(out, corpus)).toBe(true);
  });

  it('reads one event from stdin', async () => {
    const root = join(work, 'efs');
    const r = await runCli(['ingest', 'cloudwatch', '--root', root], {}, JSON.stringify(corpus[0]?.event));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ingested 1 unit(s): 20 events');
  });

  it('rejects each kind of bad input with its code, writes nothing for it, and still lands the good units', async () => {
    const root = join(work, 'efs');
    const bad = {
      'not-json': '{"awslogs":',
      'wrong-shape': { Records: [] },
      'bad-base64': { awslogs: { data: 'H4sI!!!!' } },
      'truncated-gzip': {
        awslogs: { data: gzipSync('{"messageType":"DATA_MESSAGE"}').subarray(0, 12).toString('base64') },
      },
      'gzip-bomb': data(Buffer.alloc(4 * 1024 * 1024, 0x20)),
      'invalid-json': data('{"messageType":"DATA_MESSAGE",'),
      'wrong-envelope': data(
        '{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"logEvents":{}}',
      ),
      'event-without-id': data(
        '{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"logEvents":[{"timestamp":1,"message":"m"}]}',
      ),
      'hostile-log-group': data(
        `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"${'é'.repeat(200)}","logStream":"s","subscriptionFilters":[],"logEvents":[{"id":"1","timestamp":1,"message":"m"}]}`,
      ),
    };
    const expectedCodes = {
      'not-json': 'INPUT_INVALID_JSON',
      'wrong-shape': 'INPUT_INVALID_EVENT',
      'bad-base64': 'DECODE_INVALID_BASE64',
      'truncated-gzip': 'DECODE_INVALID_GZIP',
      'gzip-bomb': 'DECODE_TOO_LARGE',
      'invalid-json': 'DECODE_INVALID_JSON',
      'wrong-envelope': 'DECODE_INVALID_ENVELOPE',
      'event-without-id': 'DECODE_INVALID_EVENT',
      'hostile-log-group': 'LAYOUT_NAME_TOO_LONG',
    };
    const badFiles = await writeEventFiles(join(work, 'bad'), Object.values(bad));
    const goodFiles = await writeEventFiles(
      join(work, 'good'),
      corpus.slice(0, 2).map((d) => d.event),
    );
    const r = await runCli([
      'ingest',
      'cloudwatch',
      '--root',
      root,
      '--max-decompressed-bytes',
      '1048576',
      goodFiles[0] as string,
      ...badFiles,
      goodFiles[1] as string,
    ]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(badFiles.length);
    Object.values(expectedCodes).forEach((code, i) => {
      expect(lines[i]).toMatch(new RegExp(`^${badFiles[i]}: ${code}: \\S`));
      expect(lines[i]).not.toContain('    at '); // no stack traces for expected errors
    });
    expect(r.stdout).toContain('ingested 2 unit(s): 40 events');
    // Only the good units' segments exist; no temp files are left behind.
    const segs = (await readdir(join(root, '.efsink/segments'), { recursive: true })).filter((f) =>
      String(f).endsWith('.seg'),
    );
    expect(segs).toHaveLength(2);
    expect(await readdir(join(root, '.efsink/tmp'))).toEqual([]);
  });

  it('acknowledges a CONTROL_MESSAGE and writes nothing', async () => {
    const root = join(work, 'efs');
    const control = data(
      JSON.stringify({
        messageType: 'CONTROL_MESSAGE',
        owner: 'CloudwatchLogs',
        logGroup: '',
        logStream: '',
        subscriptionFilters: [],
        logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination' }],
      }),
    );
    const r = await runCli(['ingest', 'cloudwatch', '--root', root], {}, JSON.stringify(control));
    expect(r.code).toBe(0);
    expect((await readOutputs(root)).size).toBe(0);
  });

  it('fails on bad flags with exit 2 and a coded one-line reason', async () => {
    const r = await runCli(['assemble', '--root', work, '--lease-seconds', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('CLI_USAGE: --lease-seconds: must be an integer from 2 to 3600, got "soon"\n');
    const t = await runCli(['ingest', 'cloudwatch', '--root', work, '--path-template', '../{HH}.log']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(
      /^LAYOUT_INVALID_TEMPLATE: path template "..\/\{HH\}.log": segment ".." starts with "." \(reserved\)\n$/,
    );
    const c = await runCli(['assemble', '--root', work, '--assemble-concurrency', '0']);
    expect(c.code).toBe(2);
    expect(c.stderr).toBe('CLI_USAGE: --assemble-concurrency: must be an integer from 1 to 64, got "0"\n');
    const u = await runCli(['frobnicate']);
    expect(u.code).toBe(2);
  });

  it('names the allowed sources, and validates pacing flags the same way for backfill and verify', async () => {
    for (const command of ['ingest', 'backfill', 'verify']) {
      const r = await runCli([command, 'kinesis', '--root', work]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`CLI_USAGE: ${command}: unknown source "kinesis" (allowed: cloudwatch, s3)\n`);
    }
    const range = ['--start', '2025-08-06T14:00:00Z', '--end', '2025-08-06T15:00:00Z'];
    for (const command of ['backfill', 'verify']) {
      const base = [command, 'cloudwatch', '--root', work, '--log-group', '/aws/apigateway/x', ...range];
      const noGroup = await runCli([command, 'cloudwatch', '--root', work, ...range]);
      expect(noGroup.code).toBe(2);
      expect(noGroup.stderr).toBe('CONFIG_INVALID: --log-group (EFSINK_LOG_GROUP) is required\n');
      const rate = await runCli([...base, '--rate', '0']);
      expect(rate.code).toBe(2);
      expect(rate.stderr).toBe(
        'CLI_USAGE: --rate: must be a positive number of requests per second, got "0"\n',
      );
      const attempts = await runCli([...base, '--max-attempts', '0']);
      expect(attempts.code).toBe(2);
      expect(attempts.stderr).toBe('CLI_USAGE: --max-attempts: must be an integer from 1 to 100, got "0"\n');
    }
  });
});
