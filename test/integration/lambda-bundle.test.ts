import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCorpus, expectedMultiset, lineMultiset, readOutputs } from '../support/corpus.js';

/**
 * The artifact Lambda runs: dist/lambda/cloudwatch-logs-handler/index.mjs (built by `npm run build`),
 * loaded in a fresh Node process with only environment configuration, as the nodejs22.x runtime does.
 */
const BUNDLE = resolve(import.meta.dirname, '../../dist/lambda/cloudwatch-logs-handler/index.mjs');
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-bundle-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function invoke(events: unknown[], env: Record<string, string>, bundle = BUNDLE) {
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const events = JSON.parse(process.argv[1]);
    const results = [];
    for (const e of events) {
      try { results.push({ ok: await handler(e) }); }
      catch (err) { results.push({ error: err.code ?? String(err) }); }
    }
    process.stdout.write('RESULTS' + JSON.stringify(results));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(events)], {
    env: { PATH: process.env.PATH, AWS_LAMBDA_FUNCTION_NAME: 'efsink-test', ...env },
    encoding: 'utf8',
  });
  return {
    ...r,
    results: r.stdout.includes('RESULTS') ? JSON.parse(r.stdout.split('RESULTS')[1] as string) : undefined,
  };
}

describe('the bundled CloudWatch Logs Lambda handler', () => {
  it('contains no AWS SDK and stays small', async () => {
    const code = await readFile(BUNDLE, 'utf8');
    expect(code).not.toMatch(/@aws-sdk\/client-|@smithy\//);
    expect((await stat(BUNDLE)).size).toBeLessThan(200 * 1024);
  });

  it('lands units durably, skips redeliveries, rejects bad events with their code, and emits EMF metrics', async () => {
    const corpus = buildCorpus({
      streams: 1,
      payloadsPerStream: 3,
      eventsPerPayload: 5,
      startMs: Date.UTC(2025, 0, 1),
      stepMs: 10,
    });
    const events = [...corpus.map((d) => d.event), corpus[0]?.event, { awslogs: { data: '!!' } }];
    const r = invoke(events, {
      EFSINK_ROOT: root,
      EFSINK_SEGMENT_RETENTION_SECONDS: '0',
      EFSINK_ASSEMBLE_AFTER_INGEST: 'true',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(
      r.results.map(
        (x: { ok?: { segmentsLanded: number }; error?: string }) => x.error ?? x.ok?.segmentsLanded,
      ),
    ).toEqual([
      1,
      1,
      1,
      // The redelivered unit's segment was assembled and deleted (retention 0) by the opportunistic
      // pass; its marker (ADR 0013) makes landing skip it, and nothing is added (checked below).
      0,
      'DECODE_INVALID_BASE64',
    ]);
    // Powertools writes EMF documents and JSON logs to stdout.
    expect(r.stdout).toContain('"_aws"');
    expect(r.stdout).toContain('"EventsReceived"');
    expect(r.stdout).toContain('"errorCode":"DECODE_INVALID_BASE64"');
    expect(lineMultiset(await readOutputs(root))).toEqual(expectedMultiset(corpus));
  });

  it('logs at EFSINK_LOG_LEVEL (info by default; warn drops the per-unit info lines, not the errors)', () => {
    const corpus = buildCorpus({
      streams: 1,
      payloadsPerStream: 1,
      eventsPerPayload: 2,
      startMs: Date.UTC(2025, 0, 1),
      stepMs: 10,
    });
    const events = [corpus[0]?.event, { awslogs: { data: '!!' } }];
    const info = invoke(events, { EFSINK_ROOT: join(root, 'info') });
    const warn = invoke(events, { EFSINK_ROOT: join(root, 'warn'), EFSINK_LOG_LEVEL: 'warn' });
    // Powertools JSON log lines carry "level" (errors on stderr); EMF documents do not.
    const levels = (r: { stdout: string; stderr: string }) =>
      `${r.stdout}\n${r.stderr}`
        .split('\n')
        .filter((l) => l.includes('"level"'))
        .map((l) => (JSON.parse(l) as { level: string }).level);
    expect(levels(info)).toEqual(expect.arrayContaining(['INFO', 'ERROR']));
    expect(levels(warn)).toEqual(['ERROR']);
    const bad = invoke([], { EFSINK_ROOT: root, EFSINK_LOG_LEVEL: 'loud' });
    expect(bad.stderr).toContain(
      'EFSINK_LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent',
    );
  });

  it('fails at cold start with CONFIG_INVALID when the environment is wrong', () => {
    const r = invoke([], { EFSINK_ROOT: 'relative/path', EFSINK_LEASE_SECONDS: 'soon' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('CONFIG_INVALID');
    expect(r.stderr).toContain('EFSINK_ROOT: must be an absolute path');
    expect(r.stderr).toContain('EFSINK_LEASE_SECONDS: must be an integer from 2 to 3600, got "soon"');
  });

  it('has a scheduled assembler bundle that assembles and publishes the oldest-unassembled-segment age', async () => {
    const corpus = buildCorpus({
      streams: 1,
      payloadsPerStream: 2,
      eventsPerPayload: 3,
      startMs: Date.UTC(2025, 0, 1),
      stepMs: 10,
    });
    const env = { EFSINK_ROOT: root, EFSINK_SEGMENT_RETENTION_SECONDS: '0' };
    expect(
      invoke(
        corpus.map((d) => d.event),
        env,
      ).status,
    ).toBe(0);
    const r = invoke([{}], env, resolve(import.meta.dirname, '../../dist/lambda/assemble-handler/index.mjs'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.results).toEqual([{ ok: { files: 1, failed: [] } }]);
    expect(r.stdout).toContain('"OldestUnassembledSegmentAgeSeconds"');
    expect(lineMultiset(await readOutputs(root))).toEqual(expectedMultiset(corpus));
  });
});
