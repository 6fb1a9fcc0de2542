import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryBound } from '../../src/config/receiver-memory.js';
import { encodeFirehoseRequest } from '../../src/core/decode/firehose-request.js';
import { spawnCli } from '../support/cli.js';
import { sendFirehose, startSlowRequest } from '../support/firehose-client.js';

/**
 * Issue 11, item 9: an authenticated sender cannot exhaust the receiver's memory. Against `efsink
 * serve` with a small memory limit (`--memory-limit-bytes`), max-size bodies at full concurrency:
 * the receiver admits only what its memory bound holds and answers the rest 503 at once, and its
 * accounting (efsink_receiver_memory_reserved_bytes) never passes its budget. RSS is checked only
 * as a bound (the process's high-water mark stays under the limit it was given), never against time.
 */

const KEY = 'test-key-1';
const T = Date.UTC(2025, 7, 6, 14, 30);
const MiB = 1024 * 1024;
const MAX_BODY = 4 * MiB;
const UNWRAP = 1 * MiB;
// Room for exactly 2 requests of 6 × 4 + 2 × 1 = 26 MiB after the 128 MiB fixed overhead (188 MiB).
const MEMORY_LIMIT = 128 * MiB + 2 * 26 * MiB + 8 * MiB;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(extra: string[]): Promise<{
  url: string;
  metricsUrl: string;
  pid: number;
  stop(): Promise<number | null>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'efsink-receiver-memory-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
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
      '0',
      '--max-body-bytes',
      String(MAX_BODY),
      '--max-decompressed-bytes',
      String(UNWRAP),
      '--max-queued-requests',
      '0',
      '--memory-limit-bytes',
      String(MEMORY_LIMIT),
      ...extra,
    ],
    { EFSINK_ACCESS_KEY: KEY, EFSINK_LOG_LEVEL: 'silent' },
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stdout = '';
  const [url, metricsUrl] = await new Promise<[string, string]>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (http:\/\/\S+)\nmetrics on (http:\/\/\S+)\n/.exec(stdout);
      if (m) resolve([`${m[1]}/`, m[2] as string]);
    });
    child.once('close', () => reject(new Error(`serve exited early: ${stdout}`)));
  });
  return {
    url,
    metricsUrl,
    pid: child.pid as number,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function gauge(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/** A request body of about `bytes` (under the cap), one record per 512 KiB. */
function maxSizeBody(requestId: string, bytes: number): Buffer {
  const record = Buffer.alloc(384 * 1024, 0x61); // 512 KiB as base64
  const n = Math.floor((bytes - 1024) / (512 * 1024 + 16));
  return encodeFirehoseRequest({ requestId, timestamp: T, records: Array.from({ length: n }, () => record) });
}

function highWaterMarkBytes(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

describe('the receiver memory bound', () => {
  it('admits only as many max-size bodies as its memory holds and answers the rest 503, reserving no more than its budget', async () => {
    const bound = memoryBound({
      memoryLimitBytes: MEMORY_LIMIT,
      maxBodyBytes: MAX_BODY,
      maxDecompressedBytes: UNWRAP,
      maxQueuedRequests: 0,
    });
    expect(bound.maxConcurrentRequests).toBe(2);
    const { url, metricsUrl, pid, stop } = await serve([]);
    expect(await gauge(metricsUrl, 'efsink_receiver_memory_budget_bytes')).toBe(bound.budgetBytes);

    // Two max-size requests hold both slots with their bodies half sent.
    const holders = [0, 1].map((i) => {
      const id = `holder-${i}`;
      const body = maxSizeBody(id, MAX_BODY);
      expect(body.length).toBeLessThanOrEqual(MAX_BODY);
      expect(body.length).toBeGreaterThan(MAX_BODY - MiB);
      return startSlowRequest(url, KEY, id, body);
    });
    for (let i = 0; i < 3000 && (await gauge(metricsUrl, 'efsink_receiver_requests_in_flight')) < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await gauge(metricsUrl, 'efsink_receiver_requests_in_flight')).toBe(2);

    // Eight more max-size bodies at once: nothing left to admit them with, so 503 at once, unread.
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sendFirehose({
          url,
          accessKey: KEY,
          body: maxSizeBody(`burst-${i}`, MAX_BODY),
          requestId: `burst-${i}`,
        }).catch(
          // The receiver answers 503 and closes before reading the body: fetch may see the reset
          // instead of the answer while it is still sending. Either way nothing was admitted.
          () => ({ status: 0, json: {} as { errorMessage?: string } }),
        ),
      ),
    );
    for (const r of burst) {
      expect([0, 503]).toContain(r.status);
      if (r.status === 503)
        expect(r.json.errorMessage).toMatch(/^RECEIVER_OVERLOADED: 2 requests in progress/);
    }
    expect(burst.some((r) => r.status === 503)).toBe(true);
    const reserved = await gauge(metricsUrl, 'efsink_receiver_memory_reserved_bytes');
    expect(reserved).toBe(2 * bound.perRequestBytes);
    expect(reserved).toBeLessThanOrEqual(bound.budgetBytes);

    for (const h of holders) h.finish();
    for (const h of holders) expect((await h.response).status).toBe(200);
    expect(await gauge(metricsUrl, 'efsink_receiver_memory_reserved_bytes')).toBe(0);
    // Bound check only: the whole process stayed under the memory it was given.
    expect(highWaterMarkBytes(pid)).toBeLessThan(MEMORY_LIMIT);
    expect(await stop()).toBe(0);
  });

  it('refuses at start-up (exit 2, CONFIG_MEMORY_BOUND_EXCEEDED) a --max-concurrent-requests over the bound', async () => {
    const root = await mkdtemp(join(tmpdir(), 'efsink-receiver-memory-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const child = spawnCli(
      [
        'serve',
        '--root',
        root,
        '--port',
        '0',
        '--max-body-bytes',
        String(MAX_BODY),
        '--max-decompressed-bytes',
        String(UNWRAP),
        '--max-queued-requests',
        '0',
        '--memory-limit-bytes',
        String(MEMORY_LIMIT),
        '--max-concurrent-requests',
        '3',
      ],
      { EFSINK_ACCESS_KEY: KEY, EFSINK_LOG_LEVEL: 'silent' },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^CONFIG_MEMORY_BOUND_EXCEEDED: --max-concurrent-requests 3 does not fit in memory: .*room for 2/m,
    );
  });
});
