import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadReceiverConfig, type ReceiverConfigInput } from '../../src/config/receiver-config.js';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { type FsPort, installFsPort, realFs } from '../../src/io/fs-port.js';
import { createSink, type Sink } from '../../src/io/sink.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createReceiver } from '../../src/receiver/server.js';
import { sendFirehose } from '../support/firehose-client.js';

/**
 * `/healthz` (issue 11, Health): 503 with JSON reasons when a concurrency slot is stuck or the
 * write-and-fsync probe under `<root>/.efsink/` fails or hangs, and 200 again once that is over.
 * Real HTTP on port 0; the bounds are configured small, and the tests poll for the state they
 * expect rather than measure time.
 */

const KEY = 'test-key-1';
const T = Date.UTC(2025, 7, 6, 14, 30);
const lines = (n: number, tag = 'l') =>
  Array.from({ length: n }, (_, i) => Buffer.from(`${tag}${i} GET /pets 200`));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(
  overrides: Partial<ReceiverConfigInput> = {},
  wrap: (sink: Sink) => Sink = (s) => s,
): Promise<{ url: string; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'efsink-receiver-health-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const sinkConfig = loadSinkConfig({ root }, 'flags');
  const sink = wrap(createSink(sinkConfig, { log: silentLogger }));
  const config = loadReceiverConfig({
    port: 0,
    accessKeys: [KEY],
    logGroup: 'api-access',
    assembleIntervalSeconds: 0,
    ...overrides,
  });
  const receiver = createReceiver({ config, sinkConfig, sink, log: silentLogger });
  const { port } = await receiver.listen();
  cleanups.push(() => receiver.close());
  return { url: `http://127.0.0.1:${port}/`, root };
}

interface Health {
  status: number;
  body: { status: string; reasons?: { code: string; message: string }[] };
}

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(30_000) });
  expect(res.headers.get('content-type')).toBe('application/json');
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

async function healthUntil(url: string, want: (h: Health) => boolean, what: string): Promise<Health> {
  for (let i = 0; i < 3000; i++) {
    const h = await health(url);
    if (want(h)) return h;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const codes = (h: Health) => (h.body.reasons ?? []).map((r) => r.code);

/** A gate the test opens: every `land` waits for it, so the request keeps its slot. */
function gatedSink(sink: Sink): { sink: Sink; open(): void; waiting(): number } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let waiting = 0;
  return {
    sink: {
      ...sink,
      land: async (plan) => {
        waiting++;
        await gate;
        return sink.land(plan);
      },
    },
    open,
    waiting: () => waiting,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`gave up waiting for ${what}`);
}

describe('/healthz', () => {
  it('answers 200 {"status":"ok"} when no slot is stuck and the probe writes and fsyncs', async () => {
    const { url } = await start();
    expect(await health(url)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers 503 RECEIVER_SLOT_STUCK while a request holds its slot past the bound (2 × request timeout), and 200 once it finishes', async () => {
    // requestTimeoutSeconds 1 → a slot held over 2 s is stuck. The landing hangs (a gated sink),
    // as a write to a hung EFS mount would: the body is complete, so Node's 408 does not apply.
    let gated: ReturnType<typeof gatedSink> | undefined;
    const { url } = await start({ requestTimeoutSeconds: 1 }, (sink) => {
      gated = gatedSink(sink);
      return gated.sink;
    });
    const g = gated as ReturnType<typeof gatedSink>;
    const stuck = sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(3) });
    await until(() => g.waiting() === 1, 'the request to hold its slot');
    const h = await healthUntil(url, (x) => x.status === 503, 'the slot to count as stuck');
    expect(h.body.status).toBe('unhealthy');
    expect(codes(h)).toEqual(['RECEIVER_SLOT_STUCK']);
    expect(h.body.reasons?.[0]?.message).toMatch(/held its slot for \d+ ms \(bound 2000 ms\)/);
    g.open();
    expect((await stuck).status).toBe(200);
    expect(await health(url)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers 503 RECEIVER_PROBE_FAILED when the probe cannot write under .efsink/, and 200 once it can', async () => {
    const { url, root } = await start();
    expect((await health(url)).status).toBe(200);
    // A file where the probe's directory must be: every open and mkdir under it fails (even as root).
    await rm(join(root, '.efsink', 'health'), { recursive: true, force: true });
    await writeFile(join(root, '.efsink', 'health'), 'not a directory');
    const h = await healthUntil(url, (x) => x.status === 503, 'the probe to fail');
    expect(codes(h)).toEqual(['RECEIVER_PROBE_FAILED']);
    expect(h.body.reasons?.[0]?.message).toMatch(/FS_(ENOTDIR|EEXIST)/);
    await rm(join(root, '.efsink', 'health'));
    await mkdir(join(root, '.efsink', 'health'));
    await healthUntil(url, (x) => x.status === 200, 'the probe to succeed again');
  });

  it('answers 503 RECEIVER_PROBE_TIMEOUT while the probe hangs, never starts a second probe meanwhile, and 200 once the file system answers', async () => {
    // 1 s, not less: a real write + fsync on this shared 2-core machine took over 50 ms under load,
    // which made the healthy baseline below answer 503. The hang below never ends by itself, so the
    // timeout's length only changes how soon the 503 comes.
    const { url } = await start({ healthProbeTimeoutSeconds: 1 });
    expect((await health(url)).status).toBe(200);
    // From now on, opening the probe file hangs until `release` (an EFS mount that stopped answering).
    let release!: () => void;
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    let probeOpens = 0;
    const port: FsPort = {
      ...realFs,
      open: (async (path: Parameters<FsPort['open']>[0], ...rest: unknown[]) => {
        if (String(path).includes(`${join('.efsink', 'health')}/`)) {
          probeOpens++;
          await hung;
        }
        return (realFs.open as (...a: unknown[]) => ReturnType<FsPort['open']>)(path, ...rest);
      }) as FsPort['open'],
    };
    cleanups.push(installFsPort(port));
    const first = await healthUntil(url, (x) => x.status === 503, 'the probe to time out');
    expect(codes(first)).toEqual(['RECEIVER_PROBE_TIMEOUT']);
    // Many more checks while it hangs: each answers (503) at once, and none starts another probe.
    for (let i = 0; i < 20; i++) expect(codes(await health(url))).toEqual(['RECEIVER_PROBE_TIMEOUT']);
    expect(probeOpens).toBe(1);
    release();
    await healthUntil(url, (x) => x.status === 200, 'the probe to succeed again');
  });
});
