import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSubscriptionEvent } from '../../src/core/encode/cloudwatch-logs.js';
import { runCli } from '../support/cli.js';
import { startCloudWatchLogsServer } from '../support/cloudwatch-logs-server.js';
import { GROUP, HOUR, seedEvents, T0 } from './backfill-support.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('CLI conventions (spawned CLI)', () => {
  it('prints a command’s usage for COMMAND --help and help COMMAND, exit 0, even without its required flags', async () => {
    const serve = await runCli(['serve', '--help']);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toMatch(/^efsink serve --root DIR .*--access-key KEY/);
    expect(serve.stdout).toMatch(/--max-batch-bytes N .*\[EFSINK_MAX_BATCH_BYTES; default 8388608\]/);
    const help = await runCli(['help', 'verify', 's3']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^efsink verify s3 --root DIR --bucket B/);
    const both = await runCli(['backfill', '--help']);
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/efsink backfill cloudwatch[\s\S]*efsink backfill s3/);
    const all = await runCli(['help']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/efsink help COMMAND/);
  });

  it('prints the version of package.json for --version', async () => {
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    const r = await runCli(['--version']);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('makes serve --max-batch-bytes and EFSINK_MAX_BATCH_BYTES work (flag over variable), and rejects flags a command does not use', async () => {
    const base = ['serve', '--root', work, '--access-key', 'k', '--print-config'];
    const env = await runCli(base, { EFSINK_MAX_BATCH_BYTES: '1234' });
    expect(env.code).toBe(0);
    expect(JSON.parse(env.stdout)).toMatchObject({
      maxBatchBytes: 1234,
      accessKeys: ['***'],
      logLevel: 'info',
    });
    const flag = await runCli([...base, '--max-batch-bytes', '99'], { EFSINK_MAX_BATCH_BYTES: '1234' });
    expect(JSON.parse(flag.stdout)).toMatchObject({ maxBatchBytes: 99 });
    const unused = await runCli(['verify', 's3', '--root', work, '--bucket', 'b', '--lease-seconds', '5']);
    expect(unused.code).toBe(2);
    expect(unused.stderr).toMatch(/^CLI_USAGE: verify s3: Unknown option '--lease-seconds'/);
  });

  it('prints the simulate report as one JSON line with --json', async () => {
    const r = await runCli([
      'simulate',
      '--path',
      'cloudwatch',
      '--root',
      join(work, 'sim'),
      '--requests',
      '20',
      '--start',
      '2025-08-06T14:00:00Z',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      path: 'cloudwatch',
      requests: 20,
      byteExact: true,
      unexpected: [],
    });
  });

  it('prints ingest and assemble results as one JSON line with --json', async () => {
    const root = join(work, 'json');
    const file = join(work, 'event.json');
    const event = encodeSubscriptionEvent({
      owner: '123456789012',
      logGroup: '/aws/apigateway/json',
      logStream: 's',
      logEvents: [
        { id: '1', timestamp: T0, message: 'one' },
        { id: '2', timestamp: T0 + 1, message: 'two' },
      ],
    });
    await writeFile(file, JSON.stringify(event));
    const ingest = await runCli([
      'ingest',
      'cloudwatch',
      '--root',
      root,
      '--json',
      file,
      join(work, 'missing.json'),
    ]);
    expect(ingest.code).toBe(1);
    expect(JSON.parse(ingest.stdout)).toEqual({
      units: 1,
      events: 2,
      bytesLanded: 8,
      duplicates: 0,
      failed: [{ file: join(work, 'missing.json'), code: 'FS_ENOENT' }],
    });
    const assemble = await runCli(['assemble', '--root', root, '--json']);
    expect(assemble.code).toBe(0);
    expect(JSON.parse(assemble.stdout)).toEqual({
      segments: 1,
      bytesAppended: 8,
      files: 1,
      duplicates: 0,
      busy: [],
      failed: [],
      sealed: { files: 0, markers: 0, failed: [] }, // the first pass of a process sweeps (ADR 0017)
    });
  });

  it('accepts relative times and shows retries in the progress line and the result', async () => {
    const cwl = await startCloudWatchLogsServer({
      maxEventsPerPage: 5,
      faults: [{ fault: 'ThrottlingException', operations: ['FilterLogEvents'], at: [1, 2] }],
    });
    try {
      seedEvents(cwl, 1, 12, 1000);
      const root = join(work, 'relative');
      const env = {
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        AWS_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      };
      // T0 lies far in the past: a relative range ending now covers it.
      const days = Math.ceil((Date.now() - T0 + HOUR) / 86_400_000);
      const r = await runCli(
        [
          'backfill',
          'cloudwatch',
          '--log-group',
          GROUP,
          '--start',
          `-${days}d`,
          '--end',
          'now',
          '--root',
          root,
          '--endpoint',
          cwl.endpoint,
          '--rate',
          '200',
          '--retry-base-ms',
          '1',
          '--progress-interval-ms',
          '0',
          '--json',
        ],
        env,
      );
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      expect(JSON.parse(r.stdout)).toMatchObject({ eventsRead: 12, eventsLanded: 12, retries: 2 });
      expect(r.stderr).toMatch(/^backfill: .* \(2 retries\)$/m);
      expect(r.stderr).toMatch(/backfill complete: .*; 2 source request\(s\) retried$/m);
    } finally {
      await cwl.stop();
    }
  });

  it('refuses a CloudWatch range whose end is not after its start, for backfill and verify alike (exit 2, CLI_USAGE)', async () => {
    for (const command of ['backfill', 'verify']) {
      const r = await runCli([
        command,
        'cloudwatch',
        '--log-group',
        GROUP,
        '--start',
        '-1h',
        '--end',
        '-2h',
        '--root',
        join(work, `range-${command}`),
      ]);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/CLI_USAGE: --end must be after --start \(end is exclusive\)/),
      });
    }
  });
});
