import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ReceiverConfig, stuckSlotMsFor } from '../config/receiver-config.js';
import { mib, resolveConcurrency } from '../config/receiver-memory.js';
import type { SinkConfig } from '../config/sink-config.js';
import { EfsinkError } from '../core/errors.js';
import { probeWriteFsync, removeHealthProbe } from '../io/health-probe.js';
import type { RootLayout } from '../io/layout.js';
import type { Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import { assemblerLoop } from './assembler-loop.js';
import { accessKeys } from './auth.js';
import { clientGone, gunzipBody, readBody, waitFor } from './body.js';
import { FirehoseHeader, HEALTH_PATH, METRICS_PATH } from './constants.js';
import type { GunzipOptions } from './gunzip.js';
import { createHealth, HealthCode } from './health.js';
import { detectMemoryLimitBytes } from './memory-limit.js';
import { createReceiverMetrics, type ReceiverMetrics } from './metrics.js';
import { createMetricsServer } from './metrics-server.js';
import { codeOf, headerValue, type ProtocolResponse, ReceiverErrorCode, respond } from './protocol.js';
import { requestPins } from './request-pins.js';
import { createSemaphore } from './semaphore.js';
import { type DeliveryOutcome, deliverFirehoseRequest } from './service.js';

/**
 * Headers can be large: the access key is up to 4096 bytes and X-Amz-Firehose-Common-Attributes up
 * to 50 × (256 + 1024) characters; Node's default limit (16 KiB) would reject such requests.
 */
const MAX_HEADER_BYTES = 128 * 1024;

export interface ReceiverDeps {
  readonly config: ReceiverConfig;
  readonly sinkConfig: SinkConfig;
  readonly sink: Sink;
  readonly log: Logger;
  readonly now?: () => number;
  /** How CloudWatch payload records are gunzipped (tests watch the off-loop ones). */
  readonly gunzip?: GunzipOptions;
  /** Memory limit when the config gives none (tests); default: the cgroup limit, else os.totalmem(). */
  readonly detectMemoryLimitBytes?: () => number;
  /** The `/healthz` write-and-fsync probe (tests replace it); default: probeWriteFsync. */
  readonly healthProbe?: (layout: RootLayout, nowMs: number) => Promise<void>;
}

/** How long a finished `/healthz` probe's result is reused. */
const HEALTH_PROBE_CACHE_MS = 1000;

export interface Receiver {
  /**
   * Starts listening (the main port and the metrics port); resolves to the bound addresses
   * (port 0 → the port picked).
   */
  listen(): Promise<{ host: string; port: number; metricsPort: number }>;
  /**
   * Graceful shutdown: stop accepting, answer 503 to new requests, drain in-flight ones (up to
   * shutdownTimeoutSeconds), stop the assembler loop, run a final assembly pass, close.
   */
  close(): Promise<void>;
  /** Runs one assembly pass now (never overlapping the loop's). */
  assembleOnce(): Promise<void>;
  readonly metrics: ReceiverMetrics;
  readonly server: Server;
}

/**
 * The Firehose HTTP endpoint receiver: node:http adapter around deliverFirehoseRequest.
 * @see docs/specs/firehose-http.md
 */
export function createReceiver(deps: ReceiverDeps): Receiver {
  const { config, sinkConfig, sink, log } = deps;
  const now = deps.now ?? Date.now;
  const keys = accessKeys(config.accessKeys);
  // Throws CONFIG_MEMORY_BOUND_EXCEEDED (before anything listens) when the requests do not fit.
  const memory = resolveConcurrency(
    {
      memoryLimitBytes: config.memoryLimitBytes ?? (deps.detectMemoryLimitBytes ?? detectMemoryLimitBytes)(),
      maxBodyBytes: config.maxBodyBytes,
      maxDecompressedBytes: sinkConfig.maxDecompressedBytes,
      maxQueuedRequests: config.maxQueuedRequests,
      requested: config.maxConcurrentRequests,
    },
    (code, message) => new EfsinkError(code, message),
  );
  const maxConcurrentRequests = memory.maxConcurrentRequests;
  const semaphore = createSemaphore(maxConcurrentRequests, config.maxQueuedRequests, now);
  const metrics = createReceiverMetrics();
  metrics.memoryBudget.set(memory.bound.budgetBytes);
  const health = createHealth({
    layout: sink.layout,
    oldestSlotSince: () => semaphore.oldestHeldSince(),
    stuckSlotMs: stuckSlotMsFor(config.requestTimeoutSeconds),
    probeTimeoutMs: config.healthProbeTimeoutSeconds * 1000,
    probeCacheMs: HEALTH_PROBE_CACHE_MS,
    probe: deps.healthProbe ?? probeWriteFsync,
    now,
  });
  const pins = requestPins(sink.layout, { now });
  const inFlight = new Set<Promise<void>>();
  const landing = new Map<string, Promise<DeliveryOutcome>>();
  /** Requests waiting for a slot: shutdown answers them 503 at once instead of reading them. */
  const waitingForSlot = new Set<AbortController>();
  let draining = false;
  const gauges = () => {
    metrics.inFlight.set(semaphore.active);
    // The memory the admitted requests may use at most (the bound's accounting, not a measurement).
    metrics.memoryReserved.set(semaphore.active * memory.bound.perRequestBytes);
    metrics.queued.set(semaphore.queued);
  };

  const send = (res: ServerResponse, r: ProtocolResponse, started: bigint, code: string, close: boolean) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.requests.inc({ status: String(r.status), code });
    metrics.latency.observe({ status: String(r.status) }, seconds);
    if (res.headersSent || res.destroyed) return;
    // Firehose: JSON, Content-Length, and no Content-Encoding on the response.
    res.writeHead(r.status, {
      'Content-Type': 'application/json',
      'Content-Length': r.body.length,
      ...(close || draining ? { Connection: 'close' } : {}),
    });
    res.end(r.body);
  };

  const handleFirehose = async (req: IncomingMessage, res: ServerResponse, started: bigint) => {
    const requestId = headerValue(req.headers[FirehoseHeader.requestId]) ?? '';
    const reject = (code: string, message: string, close = false) => {
      if (code === ReceiverErrorCode.clientGone)
        log.info({ requestId, code, err: message }, 'client went away');
      else log.warn({ requestId, code, err: message }, 'request rejected');
      send(res, respond(requestId, now(), { code, message }), started, code, close);
    };
    // Everything that can be decided from the headers is decided before reading the body; those
    // answers close the connection so an unread body is not drained.
    if (draining)
      return reject(ReceiverErrorCode.shuttingDown, 'the receiver is shutting down; retry later', true);
    if (!keys.accepts(headerValue(req.headers[FirehoseHeader.accessKey]))) {
      return reject(ReceiverErrorCode.unauthorized, 'missing or unknown X-Amz-Firehose-Access-Key', true);
    }
    if (requestId === '')
      return reject(ReceiverErrorCode.badRequest, 'missing X-Amz-Firehose-Request-Id header', true);
    const encoding = (headerValue(req.headers['content-encoding']) ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      return reject(
        ReceiverErrorCode.badRequest,
        `Content-Encoding ${JSON.stringify(encoding)} (allowed: gzip, none)`,
        true,
      );
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.maxBodyBytes) {
      return reject(
        ReceiverErrorCode.bodyTooLarge,
        `body of ${declared} bytes exceeds the limit of ${config.maxBodyBytes} bytes`,
        true,
      );
    }
    // Aborted when the client goes away (or Node answers 408 and closes the connection), and, while
    // the request waits for a slot, when the receiver starts draining. Listened for from here on,
    // before the request can queue, so no state of the request misses it (issue 11, item 1).
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(clientGone('the client went away before the answer'));
    };
    res.once('close', onClose);
    if (req.destroyed || res.destroyed) onClose();
    waitingForSlot.add(abort);
    let release: (() => void) | undefined;
    try {
      const acquired = semaphore.acquire(abort.signal);
      gauges();
      release = await acquired;
    } catch (err) {
      return reject(codeOf(err), (err as Error).message, true);
    } finally {
      waitingForSlot.delete(abort);
      gauges();
    }
    if (release === undefined) {
      return reject(
        ReceiverErrorCode.overloaded,
        `${maxConcurrentRequests} requests in progress and ${config.maxQueuedRequests} queued; retry later`,
        true,
      );
    }
    try {
      const raw = await readBody(req, config.maxBodyBytes, abort.signal);
      const body = encoding === 'gzip' ? await gunzipBody(raw, config.maxBodyBytes) : raw;
      const outcome = await landOnce(requestId, headerValue(req.headers[FirehoseHeader.sourceArn]), body);
      if (outcome.duplicate) metrics.duplicates.inc();
      else {
        metrics.records.inc(outcome.records);
        metrics.bytes.inc(outcome.bytesWritten);
        metrics.segments.inc(outcome.segmentsLanded);
      }
      log.info({ ...outcome }, outcome.duplicate ? 'duplicate request acknowledged' : 'request landed');
      send(res, respond(requestId, now()), started, '', false);
    } catch (err) {
      const code = codeOf(err);
      const message = (err as Error).message;
      if (code === 'INTERNAL' || code.startsWith('FS_')) {
        log.error({ requestId, code, err: message }, 'write failed');
        const status = code === 'INTERNAL' ? code : `${ReceiverErrorCode.writeFailed} (${code})`;
        send(
          res,
          respond(requestId, now(), {
            code: ReceiverErrorCode.writeFailed,
            message: `${status}: ${message}`,
          }),
          started,
          code,
          false,
        );
      } else {
        reject(code, message, code === ReceiverErrorCode.bodyTooLarge);
      }
    } finally {
      res.off('close', onClose);
      release();
      gauges();
    }
  };

  /** Concurrent requests with the same id (a retry racing the original) share one landing. */
  const landOnce = async (
    requestId: string,
    sourceArn: string | undefined,
    body: Buffer,
  ): Promise<DeliveryOutcome> => {
    const running = landing.get(requestId);
    if (running !== undefined) {
      const first = await running;
      return { ...first, segmentsLanded: 0, bytesWritten: 0, duplicate: true };
    }
    const p = deliverFirehoseRequest(requestId, sourceArn, body, {
      sinkConfig,
      sink,
      pins,
      log,
      logGroup: config.logGroup,
      ...(deps.gunzip === undefined ? {} : { gunzip: deps.gunzip }),
    });
    landing.set(requestId, p);
    try {
      return await p;
    } finally {
      landing.delete(requestId);
    }
  };

  /** `GET /healthz`: 200 `{"status":"ok"}`, or 503 with the reasons (JSON) — never a timeout. */
  const answerHealth = async (res: ServerResponse) => {
    const report = draining
      ? {
          healthy: false,
          reasons: [{ code: HealthCode.shuttingDown, message: 'the receiver is draining' }],
        }
      : await health.check().catch((err: unknown) => ({
          healthy: false,
          reasons: [{ code: codeOf(err), message: (err as Error).message }],
        }));
    const body = Buffer.from(
      JSON.stringify(
        report.healthy
          ? { status: 'ok' }
          : { status: draining ? 'draining' : 'unhealthy', reasons: report.reasons },
      ),
    );
    if (!report.healthy) log.warn({ reasons: report.reasons }, 'health check failed');
    if (res.destroyed) return;
    res.writeHead(report.healthy ? 200 : 503, {
      'Content-Type': 'application/json',
      'Content-Length': body.length,
    });
    res.end(body);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === HEALTH_PATH) {
      void answerHealth(res);
      return;
    }
    if (path === METRICS_PATH) {
      // Served on the metrics port only (config.metricsPort), which a load balancer never forwards
      // to. Not counted as a Firehose request: a scanner must not move the failure metrics.
      const body = Buffer.from(
        JSON.stringify({ errorMessage: `${METRICS_PATH} is not served on this port` }),
      );
      res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': body.length }).end(body);
      return;
    }
    if (req.method !== 'POST') {
      const code = ReceiverErrorCode.badRequest;
      const r = respond('', now(), {
        code,
        message: `method ${req.method} (allowed: POST; GET ${HEALTH_PATH})`,
      });
      send(res, { status: 405, body: r.body }, started, code, true);
      return;
    }
    const p: Promise<void> = handleFirehose(req, res, started)
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'request handler failed'))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout: config.requestTimeoutSeconds * 1000,
      // How often Node checks the request deadline (default 30 s, coarser than short timeouts).
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutSeconds * 500),
    },
    onRequest,
  );
  // Longer than the load balancer's idle timeout, so the load balancer closes an idle connection
  // first (config: keepAliveTimeoutSecondsFor). headersTimeout need not be: in Node 20 and 22 it
  // bounds the headers of a request once its first byte arrived, not an idle keep-alive connection
  // (measured: a connection idle 2.5 s with headersTimeout 1 s and keepAliveTimeout 4 s was served;
  // test/integration/receiver-faults.test.ts checks it), and Node requires it ≤ requestTimeout.
  server.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000;
  server.headersTimeout = Math.min(60_000, config.requestTimeoutSeconds * 1000);

  const assembler = assemblerLoop({
    sink,
    pins,
    metrics,
    log,
    now,
    intervalMs: config.assembleIntervalSeconds * 1000,
  });

  const metricsServer = createMetricsServer(metrics.registry);

  let closing: Promise<void> | undefined;
  return {
    metrics,
    server,
    assembleOnce: assembler.runOnce,
    async listen() {
      const metricsAddr = await listenOn(metricsServer, config.metricsPort, config.host);
      const addr = await listenOn(server, config.port, config.host).catch(async (err: unknown) => {
        await new Promise((resolve) => metricsServer.close(resolve));
        throw err;
      });
      assembler.start();
      log.info(
        {
          host: addr.address,
          port: addr.port,
          metricsPort: metricsAddr.port,
          maxConcurrentRequests,
          perRequestMemory: mib(memory.bound.perRequestBytes),
          memoryBudget: mib(memory.bound.budgetBytes),
        },
        'receiver listening',
      );
      return { host: addr.address, port: addr.port, metricsPort: metricsAddr.port };
    },
    close() {
      closing ??= (async () => {
        draining = true;
        log.info({ inFlight: inFlight.size, queued: waitingForSlot.size }, 'draining');
        for (const waiting of waitingForSlot) {
          waiting.abort(
            new EfsinkError(ReceiverErrorCode.shuttingDown, 'the receiver is shutting down; retry later'),
          );
        }
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await waitFor([...inFlight], config.shutdownTimeoutSeconds * 1000);
        await assembler.stop();
        await assembler.runOnce();
        server.closeAllConnections();
        await closed;
        await removeHealthProbe(sink.layout);
        metricsServer.closeAllConnections();
        await new Promise((resolve) => metricsServer.close(resolve));
        log.info({}, 'receiver stopped');
      })();
      return closing;
    },
  };
}

function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
