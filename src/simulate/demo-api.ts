import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One resource of the demo API, as API Gateway knows it (the template is `$context.resourcePath`). */
export interface DemoRoute {
  readonly method: string;
  readonly resourcePath: string;
  readonly pattern: RegExp;
}

/** The demo API's resources. Non-ASCII on purpose: the lines must stay byte-exact in UTF-8. */
export const DEMO_ROUTES: readonly DemoRoute[] = [
  { method: 'GET', resourcePath: '/pets', pattern: /^\/pets$/ },
  { method: 'POST', resourcePath: '/pets', pattern: /^\/pets$/ },
  { method: 'GET', resourcePath: '/pets/{petId}', pattern: /^\/pets\/([^/]+)$/ },
  { method: 'DELETE', resourcePath: '/pets/{petId}', pattern: /^\/pets\/([^/]+)$/ },
  { method: 'GET', resourcePath: '/orders/{orderId}/items', pattern: /^\/orders\/([^/]+)\/items$/ },
  { method: 'GET', resourcePath: '/café/menu', pattern: /^\/café\/menu$/ },
  { method: 'GET', resourcePath: '/health', pattern: /^\/health$/ },
  { method: 'GET', resourcePath: '/boom', pattern: /^\/boom$/ },
];

/** The resource a request matches (path already percent-decoded), with its path parameter. */
export function matchRoute(method: string, path: string): { route: DemoRoute; param?: string } | undefined {
  for (const route of DEMO_ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m !== null) return m[1] === undefined ? { route } : { route, param: m[1] };
  }
  return undefined;
}

export interface DemoResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

const json = (status: number, value: unknown): DemoResponse => ({
  status,
  contentType: 'application/json',
  body: Buffer.from(JSON.stringify(value)),
});

/**
 * The tiny demo API's answer (pure): a few routes with different statuses and body lengths.
 * `undefined` when no resource matches (API Gateway itself then answers 403).
 */
export function answerDemoApi(method: string, path: string, body: Buffer): DemoResponse | undefined {
  const match = matchRoute(method, path);
  if (match === undefined) return undefined;
  const { route, param } = match;
  switch (`${route.method} ${route.resourcePath}`) {
    case 'GET /pets':
      return json(200, [
        { id: 1, type: 'dog', price: 249.99 },
        { id: 2, type: 'cat', price: 124.99 },
        { id: 3, type: 'fish', price: 0.99 },
      ]);
    case 'POST /pets': {
      let pet: unknown;
      try {
        pet = JSON.parse(body.toString('utf8'));
      } catch {
        return json(400, { message: 'Invalid request body' });
      }
      return json(201, { id: 100 + (body.length % 900), ...(pet as object) });
    }
    case 'GET /pets/{petId}': {
      const id = Number(param);
      return Number.isInteger(id) && id >= 1 && id <= 50
        ? json(200, { id, type: ['dog', 'cat', 'fish'][id % 3], price: id * 10 + 0.99 })
        : json(404, { message: 'pet not found' });
    }
    case 'DELETE /pets/{petId}':
      return { status: 204, contentType: 'application/json', body: Buffer.alloc(0) };
    case 'GET /orders/{orderId}/items': {
      const n = (param ?? '').length * 3;
      return json(
        200,
        Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i}`, qty: (i % 4) + 1 })),
      );
    }
    case 'GET /café/menu':
      return {
        status: 200,
        contentType: 'text/plain; charset=utf-8',
        body: Buffer.from('crème brûlée 6,50 €\ncafé au lait 3,20 €\n'),
      };
    case 'GET /health':
      return { status: 200, contentType: 'text/plain', body: Buffer.from('ok') };
    default:
      return json(500, { message: 'Internal server error' });
  }
}

/** The demo API as its own HTTP server on 127.0.0.1 (the gateway's integration in proxy mode). */
export async function startDemoApi(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = safeDecode(new URL(req.url ?? '/', 'http://x').pathname);
      const answer = answerDemoApi(req.method ?? 'GET', path, Buffer.concat(chunks)) ?? {
        status: 404,
        contentType: 'application/json',
        body: Buffer.from('{"message":"Not Found"}'),
      };
      res.writeHead(answer.status, {
        'Content-Type': answer.contentType,
        'Content-Length': answer.body.length,
      });
      res.end(answer.body);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
