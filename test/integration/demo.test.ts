import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

// Needs `npm run build` first (bin/efsink runs dist/), like every CLI test.

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('efsink demo', () => {
  it('runs all three paths, prints byte-exact: yes for each, and leaves nothing running', async () => {
    const root = await mkdtemp(join(tmpdir(), 'efsink-demo-test-'));
    dirs.push(root);
    const r = await runCli(['demo', '--root', join(root, 'out'), '--requests', '300']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const path of ['cloudwatch', 'firehose-http', 'firehose-s3']) {
      expect(r.stdout).toMatch(new RegExp(`^${path}: byte-exact: yes \\(\\d+/\\d+ files identical\\)$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^  ${path} .* yes$`, 'm'));
    }
    expect(r.stdout).toMatch(/\nbyte-exact: yes\n$/);
    expect(r.stdout).toMatch(/the last pass appended 0\n/);

    // Every server it started is gone: the ports it printed (the S3 server's too: it runs in the
    // demo's process, there is no child to leak) refuse connections.
    const ports = [...r.stdout.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThanOrEqual(4); // demo API, receiver, S3, and the gateway lines
    for (const port of new Set(ports)) expect(await listening(port), `port ${port}`).toBe(false);
    expect(r.stdout).toMatch(
      /^ {2}S3 {16}http:\/\/127\.0\.0\.1:\d+ \(local S3-compatible server, in process\)$/m,
    );

    // --root keeps the files the report lists.
    const listed = [...r.stdout.matchAll(/^ {4}(\d\d\.log) /gm)].map((m) => m[1]);
    expect(listed.length).toBeGreaterThanOrEqual(3);
    const kept = await readdir(join(root, 'out', 'aws', 'apigateway', 'efsink-demo'));
    expect(kept.sort()).toEqual(['cloudwatch', 'firehose-http', 'firehose-s3']);

    // A root with content is refused (the check needs a fresh one).
    const again = await runCli(['demo', '--root', join(root, 'out'), '--requests', '10']);
    expect(again.code).toBe(2); // a usage error (docs/errors.md)
    expect(again.stderr).toMatch(/^DEMO_ROOT_NOT_EMPTY: /);
  });

  it('prints its report as one JSON line with --json', async () => {
    const r = await runCli(['demo', '--requests', '40', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(r.stdout) as {
      byteExact: boolean;
      paths: { path: string; byteExact: boolean; differing: string[] }[];
    };
    expect(report.byteExact).toBe(true);
    expect(report.paths.map((p) => [p.path, p.byteExact, p.differing])).toEqual([
      ['cloudwatch', true, []],
      ['firehose-http', true, []],
      ['firehose-s3', true, []],
    ]);
  });

  it('removes its temporary root when no --root is given', async () => {
    const r = await runCli(['demo', '--requests', '60']);
    expect(r.code).toBe(0);
    const root = /root (\S+) \(temporary/.exec(r.stdout)?.[1] as string;
    await expect(readdir(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
