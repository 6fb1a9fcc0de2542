import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFirehoseRequest } from '../../src/core/decode/firehose-request.js';
import { finished, spawnCli } from '../support/cli.js';
import { type EmfDatum, emfData, emfProblems } from '../support/emf.js';
import { sendFirehose } from '../support/firehose-client.js';

const KEY = 'emf-test-key';
const T = Date.UTC(2025, 7, 6, 14, 30);
const lines = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => Buffer.from(`${tag}${i} GET /pets 200`));

/** Sum of a Prometheus sample (`name{labels} value` lines) over every label set matching `labels`. */
function promTotal(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const set = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => set[k] === v)) total += Number(m[3]);
  }
  return total;
}

/** Resolves once `condition` holds (checked every 50 ms; the hook timeout bounds the wait). */
async function until(condition: () => boolean, gone: () => boolean): Promise<void> {
  while (!condition()) {
    if (gone()) throw new Error('efsink serve exited early');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sum = (data: readonly EmfDatum[], name: string, errorCode?: string) =>
  data
    .filter((d) => d.name === name && d.dimensions.errorCode === errorCode)
    .reduce((s, d) => s + d.values.reduce((a, b) => a + b, 0), 0);

describe('efsink serve: counters reach stdout as CloudWatch EMF', () => {
  let root: string;
  let stdout = '';
  let scraped = '';
  let code: number | null;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'efsink-emf-'));
    const child = spawnCli(
      [
        'serve',
        '--root',
        root,
        '--port',
        '0',
        '--log-group',
        'api-access',
        '--assemble-interval-seconds',
        '3600',
        '--emf-interval-seconds',
        '1',
        '--metrics-service',
        'efsink-receiver-it',
      ],
      { EFSINK_ACCESS_KEY: KEY, EFSINK_LOG_LEVEL: 'silent' },
    );
    const exited = finished(child);
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    await until(
      () => /listening on http:\/\/\S+/.test(stdout),
      () => gone,
    );
    const url = `${/listening on (http:\/\/\S+)/.exec(stdout)?.[1]}/`;
    await until(
      () => /metrics on http:\/\/\S+/.test(stdout),
      () => gone,
    );
    const metricsUrl = /metrics on (http:\/\/\S+)/.exec(stdout)?.[1] as string;
    // Three landed requests (2 + 3 + 4 records), one retry of the first, one bad key, one bad body.
    const first = await sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(2, 'a') });
    expect(first.status).toBe(200);
    expect(
      (await sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(3, 'b'), gzip: true })).status,
    ).toBe(200);
    // A periodic publication happens while the receiver runs, not only at shutdown.
    await until(
      () => stdout.includes('"_aws"'),
      () => gone,
    );
    expect((await sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(4, 'c') })).status).toBe(
      200,
    );
    const retry = await sendFirehose({
      url,
      accessKey: KEY,
      requestId: first.requestId,
      timestamp: T,
      records: lines(2, 'a'),
    });
    expect(retry.status).toBe(200);
    expect(
      (await sendFirehose({ url, accessKey: 'wrong', timestamp: T, records: lines(1, 'x') })).status,
    ).toBe(401);
    const mismatched = encodeFirehoseRequest({
      requestId: 'body-id',
      timestamp: T,
      records: [Buffer.from('y')],
    });
    expect(
      (await sendFirehose({ url, accessKey: KEY, requestId: 'header-id', body: mismatched })).status,
    ).toBe(400);
    scraped = await (await fetch(metricsUrl)).text();
    child.kill('SIGTERM');
    code = (await exited).code;
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const emfLines = () => stdout.split('\n').filter((l) => l.startsWith('{'));

  it('exits cleanly, with plain text and EMF documents as separate stdout lines', () => {
    expect(code).toBe(0);
    expect(stdout).toMatch(/^listening on /);
    expect(stdout).toMatch(/SIGTERM: draining\n(\{"_aws".*\n)*stopped\n$/);
    expect(emfLines().length).toBeGreaterThan(1);
  });

  it('writes only documents that satisfy the EMF specification, in namespace efsink with the service dimension', () => {
    for (const line of emfLines()) expect(emfProblems(line)).toEqual([]);
    for (const d of emfLines().flatMap(emfData)) {
      expect(d.namespace).toBe('efsink');
      expect(d.dimensions.service).toBe('efsink-receiver-it');
    }
  });

  it('publishes exactly what /metrics counted, under the Lambda paths’ metric names', () => {
    const data = emfLines().flatMap(emfData);
    expect(sum(data, 'EventsReceived')).toBe(9);
    expect(sum(data, 'EventsReceived')).toBe(promTotal(scraped, 'efsink_receiver_records_total'));
    expect(sum(data, 'BytesWritten')).toBe(promTotal(scraped, 'efsink_receiver_bytes_total'));
    expect(sum(data, 'BytesWritten')).toBeGreaterThan(0);
    expect(sum(data, 'SegmentsLanded')).toBe(promTotal(scraped, 'efsink_receiver_segments_total'));
    expect(sum(data, 'SegmentsLanded')).toBeGreaterThanOrEqual(3);
    expect(sum(data, 'DuplicateUnits')).toBe(1);
    expect(sum(data, 'Failures', 'RECEIVER_UNAUTHORIZED')).toBe(1);
    expect(sum(data, 'Failures', 'RECEIVER_BAD_REQUEST')).toBe(1);
    expect(sum(data, 'AssemblyFailures')).toBe(0);
  });

  it('reports the final assembly pass: the segment age after SIGTERM, none left unassembled', () => {
    const ages = emfLines()
      .flatMap(emfData)
      .filter((d) => d.name === 'OldestUnassembledSegmentAgeSeconds');
    expect(ages.map((d) => d.unit)).toEqual(['Seconds']);
    expect(ages[0]?.values).toEqual([0]);
  });

  it('uses the same directive (namespace, dimension sets, units) as the Lambda paths’ Powertools EMF', async () => {
    // The Lambda adapter, from the built package, in its own process: Powertools writes to stdout.
    const module = pathToFileURL(resolve(import.meta.dirname, '../../dist/src/lambda/powertools.js')).href;
    const script = `
      const { powertools } = await import(${JSON.stringify(module)});
      const { metrics, flush } = powertools('efsink-receiver-it');
      metrics.count('EventsReceived', 1);
      metrics.count('BytesWritten', 1);
      metrics.count('SegmentsLanded', 1);
      metrics.count('DuplicateUnits', 1);
      metrics.seconds('OldestUnassembledSegmentAgeSeconds', 1);
      metrics.count('Failures', 1, { errorCode: 'RECEIVER_UNAUTHORIZED' });
      flush();`;
    const lambda = await finished(
      spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    expect(lambda.code).toBe(0);
    const shape = (text: string[]) =>
      new Set(
        text
          .flatMap(emfData)
          .filter((d) => d.name !== 'AssemblyFailures')
          .map((d) => JSON.stringify([d.namespace, d.name, d.unit, Object.keys(d.dimensions).sort()])),
      );
    const lambdaShape = shape(lambda.stdout.split('\n').filter((l) => l.startsWith('{')));
    expect(lambdaShape.size).toBe(6);
    expect(shape(emfLines())).toEqual(lambdaShape);
  });
});
