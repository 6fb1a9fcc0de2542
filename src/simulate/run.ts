import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Prng } from '../core/access-log/index.js';
import type { SimClock } from './clock.js';
import type { PathEmitter } from './emitter.js';
import { compareFiles, type DeliveredUnit, expectedFiles, type FileComparison } from './expected.js';
import type { SimFormat } from './format.js';
import { type RenderedLine, startGateway } from './gateway.js';
import { driveTraffic, type TrafficResult } from './traffic.js';

export interface RunSimulationOptions {
  readonly emitter: PathEmitter;
  readonly format: SimFormat;
  readonly clock: SimClock;
  readonly prng: Prng;
  readonly requests: number;
  /** @default 4 */
  readonly concurrency?: number;
  /** Proxy to this demo API URL instead of answering in the gateway's process. */
  readonly upstream?: string | undefined;
  /** Wall-clock bound on the traffic (a safety stop, never a check). @default 30000 */
  readonly deadlineMs?: number;
  /** Called with the gateway's URL once it listens. */
  readonly onListening?: (url: string) => void;
}

export interface RunSimulationResult {
  /** Every rendered line, in logging order: the ground truth. */
  readonly lines: readonly RenderedLine[];
  readonly units: readonly DeliveredUnit[];
  readonly traffic: TrafficResult;
  readonly elapsedMs: number;
}

/**
 * Starts the gateway, drives `requests` real HTTP requests through it, hands every rendered line
 * to the path's emitter, then flushes the emitter (every batch delivered and acknowledged).
 */
export async function runSimulation(options: RunSimulationOptions): Promise<RunSimulationResult> {
  const started = performance.now();
  const lines: RenderedLine[] = [];
  const gateway = await startGateway({
    format: options.format,
    clock: options.clock,
    upstream: options.upstream,
    onLine: (line) => {
      lines.push(line);
      options.emitter.emit(line);
    },
  });
  options.onListening?.(gateway.url);
  let traffic: TrafficResult;
  try {
    traffic = await driveTraffic({
      baseUrl: gateway.url,
      count: options.requests,
      concurrency: options.concurrency ?? 4,
      prng: options.prng,
      deadlineMs: options.deadlineMs ?? 30_000,
    });
  } finally {
    await gateway.close();
  }
  await options.emitter.flush();
  return { lines, units: options.emitter.units, traffic, elapsedMs: performance.now() - started };
}

/** Every file under `<root>/<logGroup without leading />`, keyed by path relative to the root. */
export async function readLogGroupFiles(root: string, logGroup: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else out.set(relative(root, full).split('\\').join('/'), await readFile(full));
    }
  };
  await walk(join(root, logGroup.replace(/^\/+/, '')));
  return out;
}

/** The byte-exact check of one path: files on disk vs the files the rendered lines imply. */
export async function checkPath(
  root: string,
  logGroup: string,
  units: readonly DeliveredUnit[],
): Promise<FileComparison> {
  return compareFiles(expectedFiles(units), await readLogGroupFiles(root, logGroup));
}
