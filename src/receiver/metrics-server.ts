import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { METRICS_PATH } from './constants.js';

/**
 * The Prometheus listener: `GET /metrics` and nothing else, on its own port (`--metrics-port`) so
 * that the load balancer, which forwards only the main port, never exposes it (issue 11, Health).
 */
export function createMetricsServer(registry: Registry): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== METRICS_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(text);
      },
      () => {
        res.writeHead(500).end();
      },
    );
  });
}
