import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadReceiverConfig } from '../../src/config/receiver-config.js';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { encodeSubscriptionEnvelope } from '../../src/core/encode/cloudwatch-logs.js';
import { createSink } from '../../src/io/sink.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { GunzipOptions } from '../../src/receiver/gunzip.js';
import { createReceiver, type Receiver } from '../../src/receiver/server.js';
import { sendFirehose } from '../support/firehose-client.js';

/**
 * Issue 11, item 9: a CloudWatch Logs payload record may decompress to the whole unwrap budget
 * (256 MiB by default). That gunzip runs on zlib's thread pool, so the event loop keeps answering
 * (here: /healthz over a real socket) while it runs. Ordering, not time: the health answer must
 * arrive before the answer to the request whose gunzip was running when it was asked.
 */

const KEY = 'test-key-1';
const MiB = 1024 * 1024;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(
  maxDecompressedBytes: number,
  gunzip: GunzipOptions,
): Promise<{ url: string; root: string; receiver: Receiver }> {
  const root = await mkdtemp(join(tmpdir(), 'efsink-receiver-gunzip-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const sinkConfig = loadSinkConfig({ root, maxDecompressedBytes }, 'flags');
  const sink = createSink(sinkConfig, { log: silentLogger });
  const config = loadReceiverConfig({ port: 0, accessKeys: [KEY], assembleIntervalSeconds: 0 });
  const receiver = createReceiver({
    config,
    sinkConfig,
    sink,
    log: silentLogger,
    gunzip,
    // /healthz's own write probe is not what this test is about: it answers at once.
    healthProbe: async () => {},
  });
  const { port } = await receiver.listen();
  cleanups.push(() => receiver.close());
  return { url: `http://127.0.0.1:${port}/`, root, receiver };
}

describe('large record gunzip runs off the event loop', () => {
  it('answers /healthz, asked while a 96 MiB gunzip runs, before the request whose gunzip it is', async () => {
    const order: string[] = [];
    let health: Promise<void> | undefined;
    let url = '';
    const started = await start(96 * MiB, {
      // As the gunzip starts on the thread pool, ask for /healthz over a new connection.
      onOffLoop: () => {
        health ??= fetch(`${url}healthz`).then(async (res) => {
          order.push(`healthz ${res.status}`);
          await res.arrayBuffer();
        });
      },
    });
    url = started.url;
    // A gzip bomb in a CloudWatch-payload record: 128 MiB of zeros is ~130 KB of gzip; the receiver
    // decompresses up to its 96 MiB budget, then answers 413 DECODE_TOO_LARGE without any I/O, so
    // nothing but the gunzip stands between the request and its answer.
    const bomb = gzipSync(Buffer.alloc(128 * MiB));
    expect(bomb.length).toBeLessThan(1_024_000);
    const post = sendFirehose({ url, accessKey: KEY, records: [bomb] }).then((res) => {
      order.push(`post ${res.status}`);
      return res;
    });
    const res = await post;
    await health;
    expect(res.json.errorMessage).toMatch(/^DECODE_TOO_LARGE: records\[0\]/);
    expect(order).toEqual(['healthz 200', 'post 413']);
  });

  it('lands a large payload unwrapped off the loop byte-exactly, and a small one in place', async () => {
    const offLoop: string[] = [];
    const { url, root, receiver } = await start(256 * MiB, { onOffLoop: (what) => offLoop.push(what) });
    const message = (i: number, n: number) => Buffer.from(`${'x'.repeat(n)} line ${i} "quoted" \\ back`);
    const big = encodeSubscriptionEnvelope({
      logGroup: 'cw-group',
      logStream: 's',
      logEvents: Array.from({ length: 64 }, (_, i) => ({
        id: String(1000 + i),
        timestamp: Date.UTC(2025, 0, 2, 3, 4),
        message: message(i, 16 * 1024),
      })),
    });
    const small = encodeSubscriptionEnvelope({
      logGroup: 'cw-small',
      logStream: 's',
      logEvents: [{ id: '1', timestamp: Date.UTC(2025, 0, 2, 3, 4), message: 'small line' }],
    });
    expect(big.length).toBeGreaterThan(1 * MiB);
    const res = await sendFirehose({ url, accessKey: KEY, records: [gzipSync(big), gzipSync(small)] });
    expect(res.status).toBe(200);
    expect(offLoop).toEqual(['records[0] (gzip)']);
    await receiver.assembleOnce();
    const expected = Buffer.concat(
      Array.from({ length: 64 }, (_, i) => Buffer.concat([message(i, 16 * 1024), Buffer.from('\n')])),
    );
    expect((await readFile(join(root, 'cw-group/2025/01/02/03.log'))).equals(expected)).toBe(true);
    expect(await readFile(join(root, 'cw-small/2025/01/02/03.log'), 'utf8')).toBe('small line\n');
  });
});
