import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AccessLogContext, renderAccessLog, requestTimeFields } from '../core/access-log/index.js';
import type { SimClock } from './clock.js';
import { answerDemoApi, type DemoResponse, matchRoute, safeDecode } from './demo-api.js';
import type { SimFormat } from './format.js';

/** One access-log line as the gateway rendered it: the ground truth. */
export interface RenderedLine {
  readonly text: string;
  /** UTF-8 of `text`: exactly what API Gateway would write. */
  readonly bytes: Buffer;
  /** `$context.requestTimeEpoch` (the injected clock at arrival). */
  readonly requestTimeMs: number;
  /** The injected clock when the response finished and the line was logged. */
  readonly loggedAtMs: number;
  readonly status: number;
}

export interface GatewayOptions {
  readonly format: SimFormat;
  readonly clock: SimClock;
  /** Called once per request, after the response is sent, in logging order. */
  readonly onLine: (line: RenderedLine) => void;
  /** The integration: a URL to proxy to (the demo API server); default: answer in process. */
  readonly upstream?: string | undefined;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default prod */
  readonly stage?: string;
  /** @default a1b2c3d4e5 */
  readonly apiId?: string;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>/<stage>` */
  readonly url: string;
  readonly requests: number;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A small local API Gateway stage on 127.0.0.1: `/<stage>/<resource>` requests go to the demo API
 * (in process, or proxied to `upstream`), unknown resources get API Gateway's own
 * `403 Missing Authentication Token`, and every request is rendered with the format from the real
 * request's values (method, path, resource, protocol, status, response length, source IP, user
 * agent, latencies) plus a UUID request id, an extended request id and the injected clock's time.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const stage = options.stage ?? 'prod';
  const apiId = options.apiId ?? 'a1b2c3d4e5';
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const started = performance.now();
    const requestTimeMs = options.clock.now();
    const requestId = randomUUID();
    const extendedRequestId = `${[...randomBytes(15)].map((b) => BASE64[b & 63]).join('')}=`;
    const rawPath = new URL(req.url ?? '/', 'http://x').pathname;
    const path = safeDecode(rawPath);
    const method = req.method ?? 'GET';
    const inStage = path === `/${stage}` || path.startsWith(`/${stage}/`);
    const resourcePathOf = inStage ? path.slice(stage.length + 1) || '/' : path;
    const match = inStage ? matchRoute(method, resourcePathOf) : undefined;
    let integrationMs: number | undefined;
    let integrationStatus: number | undefined;

    const finish = (answer: DemoResponse, errorMessage?: string) => {
      const body = method === 'HEAD' ? Buffer.alloc(0) : answer.body;
      res.writeHead(answer.status, {
        'Content-Type': answer.contentType,
        'Content-Length': body.length,
        'x-amzn-RequestId': requestId,
        'x-amz-apigw-id': extendedRequestId,
      });
      res.end(body);
      res.once('finish', () => {
        const context: AccessLogContext = {
          requestId,
          extendedRequestId,
          ...requestTimeFields(requestTimeMs),
          'identity.sourceIp': req.socket.remoteAddress,
          'identity.userAgent': utf8Header(req.headers['user-agent']),
          httpMethod: method,
          path,
          resourcePath: match?.route.resourcePath,
          routeKey: match ? `${method} ${match.route.resourcePath}` : undefined,
          protocol: `HTTP/${req.httpVersion}`,
          status: answer.status,
          responseLength: body.length,
          stage,
          apiId,
          accountId: '123456789012',
          domainName: req.headers.host,
          integrationLatency: integrationMs,
          'integration.status': integrationStatus,
          responseLatency: Math.round(performance.now() - started),
          'error.message': errorMessage,
          'error.messageString': errorMessage === undefined ? undefined : `"${errorMessage}"`,
        };
        const text = renderAccessLog(options.format.format, context);
        options.onLine({
          text,
          bytes: Buffer.from(text, 'utf8'),
          requestTimeMs,
          loggedAtMs: options.clock.now(),
          status: answer.status,
        });
      });
    };

    readBody(req).then(
      async (body) => {
        if (match === undefined) {
          finish(
            {
              status: 403,
              contentType: 'application/json',
              body: Buffer.from('{"message":"Missing Authentication Token"}'),
            },
            'Missing Authentication Token',
          );
          return;
        }
        const t0 = performance.now();
        const answer = options.upstream
          ? await proxy(options.upstream, method, rawPath.slice(stage.length + 1) || '/', req, body)
          : answerDemoApi(method, resourcePathOf, body);
        integrationMs = Math.round(performance.now() - t0);
        integrationStatus = answer?.status;
        if (answer === undefined || answer.status >= 500) {
          finish(
            answer ?? {
              status: 502,
              contentType: 'application/json',
              body: Buffer.from('{"message":"Internal server error"}'),
            },
            'Internal server error',
          );
        } else {
          finish(answer, answer.status >= 400 ? messageOf(answer.body) : undefined);
        }
      },
      () =>
        finish(
          {
            status: 413,
            contentType: 'application/json',
            body: Buffer.from('{"message":"Request Too Long"}'),
          },
          'Request Too Long',
        ),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/${stage}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function proxy(
  upstream: string,
  method: string,
  path: string,
  req: IncomingMessage,
  body: Buffer,
): Promise<DemoResponse | undefined> {
  const target = new URL(path, upstream);
  return new Promise((resolve) => {
    const up = httpRequest(
      target,
      {
        method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          'content-length': body.length,
        },
        timeout: 10_000,
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () =>
          resolve({
            status: r.statusCode ?? 502,
            contentType: String(r.headers['content-type'] ?? 'application/json'),
            body: Buffer.concat(chunks),
          }),
        );
        r.on('error', () => resolve(undefined));
      },
    );
    up.on('timeout', () => up.destroy(new Error('integration timeout')));
    up.on('error', () => resolve(undefined));
    up.end(body);
  });
}

/** `{"message": …}` of an error body, as API Gateway's `$context.error.message` would carry it. */
function messageOf(body: Buffer): string | undefined {
  try {
    const m = (JSON.parse(body.toString('utf8')) as { message?: unknown }).message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Node reads header bytes as latin1; clients send UTF-8, which is what API Gateway logs. */
function utf8Header(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8');
}
