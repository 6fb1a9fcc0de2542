import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS,
  loadReceiverConfig,
  type ReceiverConfigInput,
} from '../../src/config/receiver-config.js';
import { loadSinkConfig } from '../../src/config/sink-config.js';
import { createPrng } from '../../src/core/access-log/prng.js';
import { encodeFirehoseRequest } from '../../src/core/decode/firehose-request.js';
import { createSink, type Sink } from '../../src/io/sink.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createReceiver, type Receiver } from '../../src/receiver/server.js';
import { spawnCli } from '../support/cli.js';
import { sendFirehose, startSlowRequest } from '../support/firehose-client.js';
import { type HangUp, rawFirehoseRequest, sendAndHangUp } from '../support/raw-http.js';

const KEY = 'test-key-1';
const T = Date.UTC(2025, 7, 6, 14, 30);
/** Every "the receiver still answers" check gives up after this long, so a wedged receiver fails the test instead of hanging it. */
const ANSWER_BOUND_MS = 30_000;

const lines = (n: number, tag = 'l') =>
  Array.from({ length: n }, (_, i) => Buffer.from(`${tag}${i} GET /pets 200`));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'efsink-receiver-faults-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return root;
}

/** A gate the test opens: every `land` waits for it (a slot held by a request whose body is complete). */
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

async function startInProcess(
  overrides: Partial<ReceiverConfigInput>,
  wrap: (sink: Sink) => Sink = (s) => s,
): Promise<{ url: string; metricsUrl: string; receiver: Receiver }> {
  const root = await tempRoot();
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
  const { port, metricsPort } = await receiver.listen();
  cleanups.push(() => receiver.close());
  return { url: `http://127.0.0.1:${port}/`, metricsUrl: `http://127.0.0.1:${metricsPort}/`, receiver };
}

/** A metric's value from the metrics port (`metricsUrl`: `http://host:metricsPort/`). */
async function metricValue(metricsUrl: string, name: string): Promise<number> {
  const text = await (
    await fetch(`${metricsUrl}metrics`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) })
  ).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** `p`, or a failure naming `what` after ANSWER_BOUND_MS: a wedged receiver fails the test instead of hanging it. */
function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: no answer within ${ANSWER_BOUND_MS} ms`)),
        ANSWER_BOUND_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One more request, bounded. */
async function nextRequestStatus(url: string): Promise<number> {
  return (
    await within(
      sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(2, 'next') }),
      'the next request',
    )
  ).status;
}

describe('a queued request whose client goes away never costs the receiver its slot', () => {
  it('efsink serve with one slot: 100 queued requests whose clients disconnect at random moments (seeded), then the next request gets 200', async () => {
    const root = await tempRoot();
    const child = spawnCli(
      [
        'serve',
        '--root',
        root,
        '--port',
        '0',
        '--log-group',
        'api-access',
        '--max-concurrent-requests',
        '1',
        '--max-queued-requests',
        '128',
        '--assemble-interval-seconds',
        '0',
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
        const m = /listening on (http:\/\/\S+)\nmetrics on (http:\/\/\S+\/)metrics\n/.exec(stdout);
        if (m) resolve([`${m[1]}/`, m[2] as string]);
      });
      child.once('close', () => reject(new Error(`serve exited early: ${stdout}`)));
    });

    // Request A holds the only slot while its body is still arriving.
    const holder = startSlowRequest(
      url,
      KEY,
      'holder',
      encodeFirehoseRequest({ requestId: 'holder', timestamp: T, records: lines(10, 'a') }),
    );
    await until(
      async () => (await metricValue(metricsUrl, 'efsink_receiver_requests_in_flight')) === 1,
      'A to hold the slot',
    );

    const prng = createPrng(20_251_202);
    const hangUps: HangUp[] = ['destroy', 'reset', 'end'];
    const small = lines(5, 'q');
    const clients = Array.from({ length: 100 }, (_, i) => {
      const requestId = `queued-${i}`;
      // Half of the bodies fit in the socket buffers (arrive in full while queued), half do not.
      const records = prng.chance(0.5) ? small : [Buffer.alloc(prng.int(256, 1024) * 1024, 0x61)];
      const request = rawFirehoseRequest(
        url,
        KEY,
        requestId,
        encodeFirehoseRequest({ requestId, timestamp: T, records }),
      );
      // Where the client stops: inside the head, right after it, inside the body, or after all of it.
      const stage = prng.int(0, 3);
      const cutAt = [
        prng.int(1, request.headBytes - 1),
        request.headBytes,
        prng.int(request.headBytes + 1, request.bytes.length - 1),
        request.bytes.length,
      ][stage] as number;
      return { request, cutAt, delayMs: prng.int(0, 300), hangUp: prng.pick(hangUps) };
    });
    // A finishes after a random number of the clients went away: the others go away while their
    // request waits for the slot that A just handed over, or while it is being read.
    const finishAfter = prng.int(50, 95);
    let closed = 0;
    const answers = await within(
      Promise.all(
        clients.map((c) =>
          sendAndHangUp(url, c.request, c.cutAt, c.delayMs, c.hangUp).then((answer) => {
            if (++closed === finishAfter) holder.finish();
            return answer;
          }),
        ),
      ),
      'the 100 clients to be closed',
    );
    expect((await within(holder.response, 'A')).status).toBe(200);
    // Each client got nothing, a 200 (answered before it left), or, for a half-closed request,
    // Node's own parse-error answer; never an error of ours (a 500 would mean a failed write).
    const nodeParseError = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
    for (const a of answers) {
      expect(a === '' || a === nodeParseError || a.startsWith('HTTP/1.1 200 ') ? '' : a).toBe('');
    }

    expect(await nextRequestStatus(url)).toBe(200);
    await until(
      async () =>
        (await metricValue(metricsUrl, 'efsink_receiver_requests_in_flight')) === 0 &&
        (await metricValue(metricsUrl, 'efsink_receiver_requests_queued')) === 0,
      'every slot and queue place to be free',
    );
    expect((await fetch(`${url}healthz`)).status).toBe(200);

    // Shutdown does not wait for requests that are gone (the default drain timeout is 60 s).
    child.kill('SIGTERM');
    expect(await within(exited, 'serve to exit after SIGTERM')).toBe(0);
  });

  it("the issue's sequence: A holds the slot, B arrives in full and queues, B's client leaves, A finishes", async () => {
    const gated = { current: undefined as ReturnType<typeof gatedSink> | undefined };
    const { url, metricsUrl } = await startInProcess({ maxConcurrentRequests: 1 }, (sink) => {
      gated.current = gatedSink(sink);
      return gated.current.sink;
    });
    const g = gated.current as ReturnType<typeof gatedSink>;
    const a = sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(3, 'a') });
    await until(() => g.waiting() === 1, 'A to hold the slot (landing)');
    const request = rawFirehoseRequest(
      url,
      KEY,
      'b',
      encodeFirehoseRequest({ requestId: 'b', timestamp: T, records: lines(3, 'b') }),
    );
    // B's client hangs up once B is seen waiting in the queue.
    const bQueued = until(
      async () => (await metricValue(metricsUrl, 'efsink_receiver_requests_queued')) === 1,
      'B to queue',
    );
    const b = sendAndHangUp(url, request, request.bytes.length, bQueued, 'destroy');
    await bQueued;
    expect(await within(b, 'B')).toBe('');
    g.open();
    expect((await within(a, 'A')).status).toBe(200);
    expect(await nextRequestStatus(url)).toBe(200);
    expect(await metricValue(metricsUrl, 'efsink_receiver_requests_in_flight')).toBe(0);
    expect(await metricValue(metricsUrl, 'efsink_receiver_requests_queued')).toBe(0);
  });

  it("Node's request timeout answering 408 to a queued request does not leak the slot", async () => {
    const gated = { current: undefined as ReturnType<typeof gatedSink> | undefined };
    const { url, metricsUrl } = await startInProcess(
      { maxConcurrentRequests: 1, requestTimeoutSeconds: 1 },
      (sink) => {
        gated.current = gatedSink(sink);
        return gated.current.sink;
      },
    );
    const g = gated.current as ReturnType<typeof gatedSink>;
    const a = sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(3, 'a') });
    await until(() => g.waiting() === 1, 'A to hold the slot (landing)');
    // B's 1 MiB body does not fit in the socket buffers while B is queued, so B is still arriving
    // when its request deadline passes: Node answers 408 and destroys the request.
    const requestId = 'b408';
    const request = rawFirehoseRequest(
      url,
      KEY,
      requestId,
      encodeFirehoseRequest({ requestId, timestamp: T, records: [Buffer.alloc(1024 * 1024, 0x62)] }),
    );
    // The client never hangs up by itself (an hour): the server has to.
    const b = sendAndHangUp(url, request, request.bytes.length, 3_600_000, 'destroy');
    expect(await within(b, 'B')).toMatch(/^HTTP\/1\.1 408 /);
    g.open();
    expect((await within(a, 'A')).status).toBe(200);
    expect(await nextRequestStatus(url)).toBe(200);
    expect(await metricValue(metricsUrl, 'efsink_receiver_requests_in_flight')).toBe(0);
    expect(await metricValue(metricsUrl, 'efsink_receiver_requests_queued')).toBe(0);
  });

  it('shutdown answers queued requests 503 at once, finishes the in-flight one, and does not wait out the drain timeout', async () => {
    const gated = { current: undefined as ReturnType<typeof gatedSink> | undefined };
    const { url, metricsUrl, receiver } = await startInProcess(
      { maxConcurrentRequests: 1, shutdownTimeoutSeconds: 3600 },
      (sink) => {
        gated.current = gatedSink(sink);
        return gated.current.sink;
      },
    );
    const g = gated.current as ReturnType<typeof gatedSink>;
    const a = sendFirehose({ url, accessKey: KEY, timestamp: T, records: lines(3, 'a') });
    await until(() => g.waiting() === 1, 'A to hold the slot (landing)');
    const queued = Array.from({ length: 3 }, (_, i) =>
      sendFirehose({ url, accessKey: KEY, requestId: `q${i}`, timestamp: T, records: lines(1) }),
    );
    // One queued client gives up before the shutdown.
    const gone = rawFirehoseRequest(
      url,
      KEY,
      'gone',
      encodeFirehoseRequest({ requestId: 'gone', timestamp: T, records: lines(1) }),
    );
    await until(
      async () => (await metricValue(metricsUrl, 'efsink_receiver_requests_queued')) === 3,
      'three to queue',
    );
    await sendAndHangUp(url, gone, gone.bytes.length, 100, 'reset');
    const closing = receiver.close();
    for (const q of await within(Promise.all(queued), 'the queued requests')) {
      expect(q.status).toBe(503);
      expect(q.json.errorMessage).toMatch(/^RECEIVER_SHUTTING_DOWN: /);
    }
    g.open();
    expect((await within(a, 'A')).status).toBe(200);
    await within(closing, 'shutdown');
  });
});

describe('keep-alive: the load balancer, not the receiver, closes idle connections', () => {
  it('keeps idle connections open longer than the load balancer idle timeout by default', async () => {
    const { receiver } = await startInProcess({});
    expect(receiver.server.keepAliveTimeout).toBeGreaterThan(
      DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS * 1000,
    );
    // Node requires headersTimeout <= requestTimeout; it bounds a request's headers, not idle time.
    expect(receiver.server.headersTimeout).toBeLessThanOrEqual(receiver.server.requestTimeout);
  });

  it('serves a second request on a connection idle for longer than headersTimeout, and closes it only after keepAliveTimeout', async () => {
    // Small configured values so the test is short: headersTimeout = requestTimeout = 1 s, keep-alive 3 s.
    const { url, receiver } = await startInProcess({ requestTimeoutSeconds: 1, keepAliveTimeoutSeconds: 3 });
    expect(receiver.server.keepAliveTimeout).toBe(3000);
    const idleMs = receiver.server.headersTimeout + 1000; // past headersTimeout, short of keep-alive
    expect(idleMs).toBeLessThan(receiver.server.keepAliveTimeout);
    const u = new URL(url);
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const send = (id: string) => {
      const r = rawFirehoseRequest(
        url,
        KEY,
        id,
        encodeFirehoseRequest({ requestId: id, timestamp: T, records: lines(1, id) }),
      );
      socket.write(r.bytes);
    };
    const answers = () => received.split('HTTP/1.1 ').slice(1);
    send('first');
    await until(() => answers().length === 1, 'the first answer');
    await new Promise((r) => setTimeout(r, idleMs));
    expect(socket.destroyed).toBe(false);
    send('second');
    await until(() => answers().length === 2, 'the second answer on the same connection');
    expect(answers().map((a) => a.slice(0, 3))).toEqual(['200', '200']);
    // The receiver does close an idle connection eventually (after its keep-alive timeout).
    await within(closed, 'the receiver to close the idle connection');
  });
});
