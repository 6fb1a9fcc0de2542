import type { Prng } from '../core/access-log/index.js';

/** A client request to the gateway (path relative to the stage URL, not encoded). */
export interface TrafficRequest {
  readonly method: string;
  readonly path: string;
  readonly userAgent: string;
  readonly body?: string;
}

const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'aws-sdk-js/3.540.0 ua/2.0 os/linux lang/js md/nodejs#20.11.1',
  'ShopApp/3.2 (iPhone; iOS 17.4; 日本語)',
  'Émile-crawler/1.0 (+https://example.com/bot) 🤖',
];

/** A realistic mix: mostly reads, some writes, a few unknown resources and integration errors. */
export function nextRequest(prng: Prng): TrafficRequest {
  const userAgent = prng.pick(USER_AGENTS);
  const r = prng.next();
  if (r < 0.3) return { method: 'GET', path: '/pets', userAgent };
  if (r < 0.55) return { method: 'GET', path: `/pets/${prng.int(1, 70)}`, userAgent };
  if (r < 0.65)
    return {
      method: 'POST',
      path: '/pets',
      userAgent,
      body: prng.chance(0.9)
        ? `{"type":"${prng.pick(['dog', 'cat', 'bird'])}","name":"n${prng.int(1, 999)}"}`
        : '{oops',
    };
  if (r < 0.7) return { method: 'DELETE', path: `/pets/${prng.int(1, 50)}`, userAgent };
  if (r < 0.8) return { method: 'GET', path: `/orders/o-${prng.int(1, 99999)}/items`, userAgent };
  if (r < 0.87) return { method: 'GET', path: '/café/menu', userAgent };
  if (r < 0.93) return { method: 'GET', path: '/health', userAgent };
  if (r < 0.97) return { method: 'GET', path: prng.pick(['/admin', '/pets/1/owner', '/.env']), userAgent };
  return { method: 'GET', path: '/boom', userAgent };
}

export interface TrafficResult {
  readonly sent: number;
  readonly failed: number;
  readonly byStatus: Readonly<Record<string, number>>;
}

/**
 * Sends `count` requests to the gateway with `concurrency` clients over real HTTP (keep-alive),
 * stopping early at `deadlineMs` (wall clock, a safety bound: never part of a check).
 */
export async function driveTraffic(options: {
  readonly baseUrl: string;
  readonly count: number;
  readonly concurrency: number;
  readonly prng: Prng;
  readonly deadlineMs?: number;
}): Promise<TrafficResult> {
  const requests = Array.from({ length: options.count }, () => nextRequest(options.prng));
  const byStatus: Record<string, number> = {};
  const stopAt = Date.now() + (options.deadlineMs ?? 30_000);
  let next = 0;
  let sent = 0;
  let failed = 0;
  const worker = async () => {
    while (next < requests.length && Date.now() < stopAt) {
      const req = requests[next++] as TrafficRequest;
      const url = `${options.baseUrl}${req.path.split('/').map(encodeURIComponent).join('/')}`;
      try {
        const res = await fetch(url, {
          method: req.method,
          // Header values travel as bytes: send the UTF-8 of the user agent (the gateway decodes it back).
          headers: {
            'user-agent': Buffer.from(req.userAgent, 'utf8').toString('latin1'),
            ...(req.body ? { 'content-type': 'application/json' } : {}),
          },
          ...(req.body ? { body: req.body } : {}),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        sent++;
      } catch (err) {
        if (process.env.EFSINK_SIM_DEBUG) console.error(req, err);
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { sent, failed, byStatus };
}
