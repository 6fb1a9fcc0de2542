import type { Prng } from './prng.js';
import type { AccessLogContext } from './render.js';
import { requestTimeFields } from './request-time.js';

interface Route {
  readonly resourcePath: string;
  readonly path: (prng: Prng) => string;
}

// Mostly ordinary routes, plus a few with non-ASCII text so every preset line carries multi-byte UTF-8.
// (Real resource paths are usually ASCII; these exist to test byte-exactness, not to be typical.)
const ROUTES: readonly Route[] = [
  { resourcePath: '/pets', path: () => '/pets' },
  { resourcePath: '/pets/{petId}', path: (p) => `/pets/${p.int(1, 99999)}` },
  { resourcePath: '/orders/{orderId}/items', path: (p) => `/orders/o-${p.int(1000, 9999)}/items` },
  { resourcePath: '/users/{userId}', path: (p) => `/users/${hex(p, 12)}` },
  { resourcePath: '/health', path: () => '/health' },
  { resourcePath: '/{proxy+}', path: (p) => `/static/app.${hex(p, 8)}.js` },
  { resourcePath: '/café/menu', path: () => '/café/menu' },
  { resourcePath: '/日本/shops/{shopId}', path: (p) => `/日本/shops/${p.int(1, 500)}` },
  { resourcePath: '/reactions/🎉', path: () => '/reactions/🎉' },
];

const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

const STATUSES = [
  200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 404, 429, 500, 502, 504,
];

const ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['Invalid request body', 'BAD_REQUEST_BODY'],
  401: ['Unauthorized', 'UNAUTHORIZED'],
  403: ['Missing Authentication Token', 'MISSING_AUTHENTICATION_TOKEN'],
  404: ['Not Found', 'RESOURCE_NOT_FOUND'],
  429: ['Too Many Requests', 'THROTTLED'],
  500: ['Internal server error', 'DEFAULT_5XX'],
  502: ['Internal server error', 'DEFAULT_5XX'],
  504: ['Endpoint request timed out', 'INTEGRATION_TIMEOUT'],
};

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'aws-sdk-js/3.540.0 ua/2.0 os/linux lang/js md/nodejs#20.11.1',
  'okhttp/4.12.0',
  'Amazon CloudFront',
  'ShopApp/3.2 (iPhone; iOS 17.4; 日本語)',
  'Émile-crawler/1.0 (+https://example.com/bot) 🤖',
];

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Where the generated requests are said to come from. */
export interface RequestContextScope {
  /** @default `a1b2c3d4e5` */
  readonly apiId?: string;
  /** @default `prod` */
  readonly stage?: string;
  /** @default `eu-west-1` */
  readonly region?: string;
  /** @default `123456789012` */
  readonly accountId?: string;
}

/**
 * One realistic API Gateway request context at `epochMs`: every variable of the REST and HTTP API
 * presets plus common extras (`path`, `stage`, `identity.userAgent`, latencies, `error.*`). Variables
 * that API Gateway leaves empty for most requests (`identity.caller`, `identity.user`, `error.*` on
 * success) are left undefined so they render as `-`.
 *
 * @example
 * generateRequestContext(createPrng(1), 1709971503000).requestId // a UUID, the same for seed 1
 */
export function generateRequestContext(
  prng: Prng,
  epochMs: number,
  scope: RequestContextScope = {},
): AccessLogContext {
  const apiId = scope.apiId ?? 'a1b2c3d4e5';
  const stage = scope.stage ?? 'prod';
  const method = prng.pick(METHODS);
  const route = prng.pick(ROUTES);
  const status = prng.pick(STATUSES);
  const error = ERRORS[status];
  const signed = prng.chance(0.15);
  const integrationLatency = prng.int(1, 900);
  return {
    requestId: uuid(prng),
    extendedRequestId: `${randomChars(prng, BASE64, 15)}=`,
    ...requestTimeFields(epochMs),
    'identity.sourceIp': prng.chance(0.85) ? ipv4(prng) : ipv6(prng),
    'identity.caller': signed ? `AIDA${randomChars(prng, ALNUM_UPPER, 17)}` : undefined,
    'identity.user': signed ? `AIDA${randomChars(prng, ALNUM_UPPER, 17)}` : undefined,
    'identity.userAgent': prng.pick(USER_AGENTS),
    httpMethod: method,
    resourcePath: route.resourcePath,
    path: `/${stage}${route.path(prng)}`,
    routeKey: prng.chance(0.05) ? '$default' : `${method} ${route.resourcePath}`,
    protocol: prng.chance(0.85) ? 'HTTP/1.1' : 'HTTP/2.0',
    status,
    responseLength: status === 204 || status === 304 || method === 'HEAD' ? 0 : prng.int(2, 48_000),
    stage,
    apiId,
    accountId: scope.accountId ?? '123456789012',
    domainName: `${apiId}.execute-api.${scope.region ?? 'eu-west-1'}.amazonaws.com`,
    integrationLatency,
    responseLatency: integrationLatency + prng.int(1, 40),
    'integration.status': error === undefined || status === 504 ? status : prng.pick([status, 200]),
    'error.message': error?.[0],
    'error.messageString': error === undefined ? undefined : `"${error[0]}"`,
    'error.responseType': error?.[1],
  };
}

/** A version 4 UUID, lowercase, as API Gateway writes `$context.requestId`. */
export function uuid(prng: Prng): string {
  const h = hex(prng, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[prng.int(0, 3)] as string;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

function hex(prng: Prng, length: number): string {
  return randomChars(prng, '0123456789abcdef', length);
}

function randomChars(prng: Prng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(prng.next() * alphabet.length)];
  return out;
}

function ipv4(prng: Prng): string {
  return `${prng.int(1, 223)}.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(1, 254)}`;
}

function ipv6(prng: Prng): string {
  return `2001:db8:${prng.int(0, 0xffff).toString(16)}:${prng.int(0, 0xffff).toString(16)}::${prng.int(1, 0xffff).toString(16)}`;
}
