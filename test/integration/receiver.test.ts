import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadReceiverConfig, type ReceiverConfigInput } from '../../src/config/receiver-config.js';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { encodeFirehoseRequest } from '../../src/core/decode/firehose-request.js';
import { encodeSubscriptionEnvelope } from '../../src/core/encode/cloudwatch-logs.js';
import { frameEntries } from '../../src/core/write/frame.js';
import { unitIdOf } from '../../src/core/write/plan-segments.js';
import { decodeSegmentHeader } from '../../src/core/write/segment-file.js';
import { createSink } from '../../src/io/sink.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createReceiver, type Receiver } from '../../src/receiver/server.js';
import { spawnCli } from '../support/cli.js';
import { sendFirehose, startSlowRequest } from '../support/firehose-client.js';

const KEY = 'test-key-1';
const KEY2 = 'rotated-key-2';
const T = Date.UTC(2025, 7, 6, 14, 30);
const OUT = 'api-access/2025/08/06/14.log';

interface Running {
  root: string;
  url: string;
  /** `http://127.0.0.1:<metricsPort>/`: /metrics is served there only. */
  metricsUrl: string;
  receiver: Receiver;
}
const running: Running[] = [];

async function start(overrides: Partial<ReceiverConfigInput> = {}, sharedRoot?: string): Promise<Running> {
  const root = sharedRoot ?? (await mkdtemp(join(tmpdir(), 'efsink-receiver-')));
  // 1 MiB gzip-bomb guard per request, so the bomb test needs only a 2 MiB payload.
  const sinkConfig = loadSinkConfig({ root, maxDecompressedBytes: 1024 * 1024 }, 'flags');
  const sink = createSink(sinkConfig, { log: silentLogger });
  const config = loadReceiverConfig({
    port: 0,
    accessKeys: [KEY, KEY2],
    logGroup: 'api-access',
    assembleIntervalSeconds: 0,
    ...overrides,
  });
  const receiver = createReceiver({ config, sinkConfig, sink, log: silentLogger });
  const { port, metricsPort } = await receiver.listen();
  const r = {
    root,
    url: `http://127.0.0.1:${port}/`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/`,
    receiver,
  };
  running.push(r);
  return r;
}

afterEach(async () => {
  const stopping = running.splice(0);
  for (const r of stopping) await r.receiver.close();
  for (const r of stopping) await rm(r.root, { recursive: true, force: true });
});

async function listSegments(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else if (e.name.endsWith('.seg')) out.push(join(dir, e.name));
    }
  }
  await walk(join(root, '.efsink', 'segments'));
  return out.sort();
}

const lines = (n: number, tag = 'l') =>
  Array.from({ length: n }, (_, i) => Buffer.from(`${tag}${i} GET /pets 200`));

describe('efsink receiver: the Firehose HTTP endpoint contract over real HTTP', () => {
  it('answers 200 with exactly {requestId, timestamp}, JSON, Content-Length, no Content-Encoding', async () => {
    const { url } = await start();
    const res = await sendFirehose({ url, accessKey: KEY, records: lines(3) });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['requestId', 'timestamp']);
    expect(res.json.requestId).toBe(res.requestId);
    expect(Number.isSafeInteger(res.json.timestamp)).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(JSON.stringify(res.json)));
    expect(res.headers.get('content-encoding')).toBeNull();
  });

  it('answers 200 only once the segment is durable: it exists when the 200 arrives', async () => {
    const { url, root } = await start();
    const requestId = randomUUID();
    expect(await listSegments(root)).toEqual([]);
    const res = await sendFirehose({ url, accessKey: KEY, requestId, records: lines(2) });
    expect(res.status).toBe(200);
    const segs = await listSegments(root);
    expect(segs).toHaveLength(1);
    expect(segs[0]).toContain(`~${unitIdOf('firehose', [requestId])}.seg`);
    const seg = await readFile(segs[0] as string);
    expect(seg.subarray(decodeSegmentHeader(seg).bodyOffset).equals(frameEntries(lines(2)))).toBe(true);
  });

  it('writes records byte-exactly (binary, empty, 1,000 KiB) into the hourly file of the request timestamp', async () => {
    const { url, root, receiver } = await start();
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a));
    const big = Buffer.alloc(1_024_000, 0x61);
    const records = [Buffer.from('a\n'), Buffer.alloc(0), binary, big, Buffer.from('\r\n')];
    expect((await sendFirehose({ url, accessKey: KEY, timestamp: T, records })).status).toBe(200);
    await receiver.assembleOnce();
    const got = await readFile(join(root, OUT));
    expect(got.equals(frameEntries(records))).toBe(true);
  });

  it('accepts 10,000 records in one request, in order', async () => {
    const { url, root, receiver } = await start();
    const records = lines(10_000);
    expect((await sendFirehose({ url, accessKey: KEY, gzip: true, timestamp: T, records })).status).toBe(200);
    await receiver.assembleOnce();
    expect((await readFile(join(root, OUT))).equals(frameEntries(records))).toBe(true);
  });

  it('answers a slow client that misses the request deadline with 408 and writes nothing', async () => {
    const { url, root } = await start({ requestTimeoutSeconds: 1 });
    const body = encodeFirehoseRequest({ requestId: 'stalled', timestamp: T, records: lines(3) });
    const stalled = startSlowRequest(url, KEY, 'stalled', body);
    const res = await stalled.response.catch((err: Error) => ({
      status: 0,
      json: { errorMessage: err.message },
    }));
    // Node answers 408 itself, or resets the connection; either way nothing is acknowledged.
    expect([0, 408]).toContain(res.status);
    expect(await listSegments(root)).toEqual([]);
  });

  it('accepts gzip bodies, including multi-member gzip', async () => {
    const { url, root, receiver } = await start();
    expect(
      (await sendFirehose({ url, accessKey: KEY, gzip: true, timestamp: T, records: lines(100, 'g') }))
        .status,
    ).toBe(200);
    // A later timestamp: across requests, segments are assembled by time, then unit id.
    const json = encodeFirehoseRequest({ requestId: 'multi', timestamp: T + 1000, records: lines(2, 'm') });
    const multi = Buffer.concat([gzipSync(json.subarray(0, 10)), gzipSync(json.subarray(10))]);
    const res = await fetch(url, {
      method: 'POST',
      body: multi,
      headers: {
        'X-Amz-Firehose-Request-Id': 'multi',
        'X-Amz-Firehose-Access-Key': KEY,
        'Content-Encoding': 'gzip',
      },
    });
    expect(res.status).toBe(200);
    await receiver.assembleOnce();
    const got = await readFile(join(root, OUT));
    expect(got.toString()).toBe(frameEntries([...lines(100, 'g'), ...lines(2, 'm')]).toString());
  });

  it('unwraps CloudWatch Logs subscription records to their own log group and hour', async () => {
    const { url, root, receiver } = await start();
    const envelope = encodeSubscriptionEnvelope({
      logGroup: 'cw-group',
      logStream: 's',
      logEvents: [{ id: '1', timestamp: Date.UTC(2025, 0, 2, 3, 4), message: 'cw line' }],
    });
    const control = encodeSubscriptionEnvelope({
      messageType: 'CONTROL_MESSAGE',
      logGroup: '',
      logStream: '',
      logEvents: [],
    });
    const res = await sendFirehose({ url, accessKey: KEY, records: [gzipSync(envelope), gzipSync(control)] });
    expect(res.status).toBe(200);
    await receiver.assembleOnce();
    expect(await readFile(join(root, 'cw-group/2025/01/02/03.log'), 'utf8')).toBe('cw line\n');
  });

  describe('rejections: documented status, coded errorMessage, nothing written', () => {
    it.each([
      ['no access key', 401, 'RECEIVER_UNAUTHORIZED', { accessKey: undefined }],
      ['a wrong access key', 401, 'RECEIVER_UNAUTHORIZED', { accessKey: 'nope' }],
      ['a key that is a prefix of a valid one', 401, 'RECEIVER_UNAUTHORIZED', { accessKey: 'test-key' }],
      ['a non-JSON body', 400, 'DECODE_INVALID_JSON', { body: Buffer.from('hello') }],
      [
        'a wrong shape',
        400,
        'FIREHOSE_INVALID_REQUEST',
        { body: Buffer.from('{"requestId":"x","records":[]}') },
      ],
      [
        'invalid base64',
        400,
        'DECODE_INVALID_BASE64',
        { body: Buffer.from('{"requestId":"r","timestamp":1,"records":[{"data":"@@@@"}]}'), requestId: 'r' },
      ],
      [
        'a body id different from the header',
        400,
        'RECEIVER_BAD_REQUEST',
        { body: encodeFirehoseRequest({ requestId: 'other', timestamp: 1, records: [] }) },
      ],
      [
        'a corrupt gzip body',
        400,
        'DECODE_INVALID_GZIP',
        { body: Buffer.from([0x1f, 0x8b, 1, 2, 3]), headers: { 'Content-Encoding': 'gzip' } },
      ],
      [
        'an unsupported Content-Encoding',
        400,
        'RECEIVER_BAD_REQUEST',
        { headers: { 'Content-Encoding': 'br' } },
      ],
      [
        'a gzip-bomb record (over maxDecompressedBytes)',
        413,
        'DECODE_TOO_LARGE',
        { records: [gzipSync(Buffer.alloc(2 * 1024 * 1024))] },
      ],
    ] as const)('answers %s with %i %s', async (_name, status, code, send) => {
      const { url, root } = await start();
      const res = await sendFirehose({ url, accessKey: KEY, records: lines(1), ...send });
      expect(res.status).toBe(status);
      expect(res.json.requestId).toBe(res.requestId);
      expect(res.json.errorMessage).toMatch(new RegExp(`^${code}: `));
      expect(await listSegments(root)).toEqual([]);
    });

    it('answers 400 without a request id header', async () => {
      const { url } = await start();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'X-Amz-Firehose-Access-Key': KEY },
        body: '{}',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errorMessage: string }).errorMessage).toMatch(
        /^RECEIVER_BAD_REQUEST: missing X-Amz-Firehose-Request-Id/,
      );
    });

    it('answers 413 for a body over maxBodyBytes, compressed or decompressed', async () => {
      const { url, root } = await start({ maxBodyBytes: 64 * 1024 });
      const over = await sendFirehose({ url, accessKey: KEY, records: [Buffer.alloc(100 * 1024, 0x61)] });
      expect(over.status).toBe(413);
      expect(over.json.errorMessage).toMatch(/^RECEIVER_BODY_TOO_LARGE: /);
      const zipped = await sendFirehose({
        url,
        accessKey: KEY,
        gzip: true,
        records: [Buffer.alloc(100 * 1024, 0x61)],
      });
      expect(zipped.status).toBe(413);
      expect(await listSegments(root)).toEqual([]);
    });

    it('accepts every configured key (rotation)', async () => {
      const { url } = await start();
      expect((await sendFirehose({ url, accessKey: KEY2, records: lines(1) })).status).toBe(200);
    });
  });

  it('makes a retry with the same request id a no-op (files byte-identical), and counts it', async () => {
    const { url, metricsUrl, root, receiver } = await start();
    const requestId = randomUUID();
    const records = lines(5);
    expect((await sendFirehose({ url, accessKey: KEY, requestId, timestamp: T, records })).status).toBe(200);
    await receiver.assembleOnce();
    const first = await readFile(join(root, OUT));
    // A retry, even one whose timestamp moved into the next hour, lands nowhere new.
    expect((await sendFirehose({ url, accessKey: KEY, requestId, timestamp: T, records })).status).toBe(200);
    expect(
      (await sendFirehose({ url, accessKey: KEY, requestId, timestamp: T + 3_600_000, records })).status,
    ).toBe(200);
    await receiver.assembleOnce();
    expect((await readFile(join(root, OUT))).equals(first)).toBe(true);
    expect(first.equals(frameEntries(records))).toBe(true);
    expect(await readdir(join(root, 'api-access/2025/08/06'))).toEqual(['14.log']);
    const metrics = await (await fetch(`${metricsUrl}metrics`)).text();
    expect(metrics).toMatch(/efsink_receiver_duplicate_requests_total 2/);
  });

  it('writes concurrently racing duplicates once', async () => {
    const { url, root, receiver } = await start();
    const requestId = randomUUID();
    const records = lines(50);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        sendFirehose({ url, accessKey: KEY, requestId, timestamp: T, records }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    await receiver.assembleOnce();
    expect((await readFile(join(root, OUT))).equals(frameEntries(records))).toBe(true);
  });

  it('makes two receivers on one root agree on a retried request, even when its timestamp moved an hour', async () => {
    const a = await start();
    const b = await start({}, a.root);
    const records = lines(20);
    for (let round = 0; round < 5; round++) {
      const requestId = randomUUID();
      const results = await Promise.all(
        [a.url, b.url, a.url, b.url].map((url, i) =>
          sendFirehose({ url, accessKey: KEY, requestId, timestamp: T + (i % 2) * 3_600_000, records }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    }
    await a.receiver.assembleOnce();
    await b.receiver.assembleOnce();
    const dir = join(a.root, 'api-access/2025/08/06');
    const files = await readdir(dir);
    let total = Buffer.alloc(0);
    for (const f of files) total = Buffer.concat([total, await readFile(join(dir, f))]);
    // Five requests, each written exactly once, whichever hour its pinned timestamp chose.
    expect(total.length).toBe(5 * frameEntries(records).length);
  });

  it('answers 503 when the concurrency slots and the queue are full, then recovers', async () => {
    const { url, metricsUrl } = await start({ maxConcurrentRequests: 1, maxQueuedRequests: 0 });
    const body = encodeFirehoseRequest({ requestId: 'slow', timestamp: T, records: lines(10) });
    const slow = startSlowRequest(url, KEY, 'slow', body);
    // Wait until the slow request holds the only slot.
    for (let i = 0; i < 200 && !(await metricValue(metricsUrl, 'efsink_receiver_requests_in_flight')); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const busy = await sendFirehose({ url, accessKey: KEY, records: lines(1) });
    expect(busy.status).toBe(503);
    expect(busy.json.errorMessage).toMatch(/^RECEIVER_OVERLOADED: /);
    slow.finish();
    expect((await slow.response).status).toBe(200);
    expect((await sendFirehose({ url, accessKey: KEY, records: lines(1) })).status).toBe(200);
  });

  it('drains in-flight requests on shutdown, then runs a final assembly pass', async () => {
    const { url, metricsUrl, root, receiver } = await start();
    const body = encodeFirehoseRequest({ requestId: 'inflight', timestamp: T, records: lines(3) });
    const slow = startSlowRequest(url, KEY, 'inflight', body);
    for (let i = 0; i < 200 && !(await metricValue(metricsUrl, 'efsink_receiver_requests_in_flight')); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const closed = receiver.close();
    slow.finish();
    expect((await slow.response).status).toBe(200);
    await closed;
    expect((await readFile(join(root, OUT))).equals(frameEntries(lines(3)))).toBe(true);
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
  });

  it('serves /healthz, and Prometheus /metrics on the metrics port only (requests by status, records, bytes, latency)', async () => {
    const { url, metricsUrl } = await start();
    const health = await fetch(`${url}healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    await sendFirehose({ url, accessKey: KEY, records: lines(4) });
    await sendFirehose({ url, accessKey: 'bad', records: lines(4) });
    // The main port, which the load balancer forwards, does not serve the metrics.
    const hidden = await fetch(`${url}metrics`);
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).not.toMatch(/efsink_receiver/);
    expect(metricsUrl).not.toBe(url);
    const text = await (await fetch(`${metricsUrl}metrics`)).text();
    expect(text).toMatch(/efsink_receiver_requests_total\{status="200",code=""\} 1/);
    expect(text).toMatch(/efsink_receiver_requests_total\{status="401",code="RECEIVER_UNAUTHORIZED"\} 1/);
    expect(text).toMatch(/efsink_receiver_records_total 4/);
    expect(text).toMatch(/efsink_receiver_bytes_total \d+/);
    expect(text).toMatch(/efsink_receiver_request_duration_seconds_count\{status="200"\} 1/);
  });
});

describe('efsink serve (spawned CLI)', () => {
  it('lands a request, then on SIGTERM drains, assembles and exits 0', async () => {
    const root = await mkdtemp(join(tmpdir(), 'efsink-serve-'));
    try {
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
        ],
        {
          EFSINK_ACCESS_KEY: KEY,
          EFSINK_LOG_LEVEL: 'silent',
        },
      );
      let stdout = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(stdout);
          if (m) resolve(`${m[1]}/`);
        });
        child.once('close', () => reject(new Error(`serve exited early: ${stdout}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((await sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(2) })).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The final EMF publication (one JSON line per dimension set) comes between the two.
      expect(stdout).toMatch(/SIGTERM: draining\n(\{"_aws".*\n)+stopped\n$/);
      // The final assembly pass wrote the hourly file.
      expect((await readFile(join(root, OUT))).equals(frameEntries(lines(2)))).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('fails at start-up with CONFIG_INVALID when no access key is configured', async () => {
    const child = spawnCli(['serve', '--root', tmpdir(), '--port', '0'], {
      EFSINK_ACCESS_KEY: '',
      EFSINK_ACCESS_KEYS: '',
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toBe('CONFIG_INVALID: --access-key (EFSINK_ACCESS_KEY, EFSINK_ACCESS_KEYS) is required\n');
  });
});

async function metricValue(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
