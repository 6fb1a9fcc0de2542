import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadSinkConfig } from '../src/config/sink-config.js';
import type { LogEvent } from '../src/core/decode/cloudwatch-logs.js';
import { codeOf } from '../src/core/error-catalogue.js';
import { planCloudWatchUnit } from '../src/core/write/plan-segments.js';
import { type FileHandle, type FsPort, fs, installFsPort } from '../src/io/fs-port.js';
import { createSink } from '../src/io/sink.js';
import { silentLogger } from '../src/observability/logger.js';
import { gitDescription } from './machine.js';

/**
 * `npm run bench:latency` (issue 10, item 2): throughput into ONE hourly file when every file-system
 * call costs what an EFS round trip costs. No EFS here, so the I/O module's file-system port
 * (src/io/fs-port.ts) is wrapped: every call, and every call on an open file handle (write, fsync,
 * read, stat, close, truncate), first waits L ms, then runs on the local disk. On EFS a metadata
 * operation costs about 1–3 ms and throughput comes from overlapping them (Amazon EFS performance
 * docs); this measures how much overlap efsink's code actually achieves, which the throughput
 * model in bench/README.md could only assume.
 *
 * Steady state, per latency L: landers land R units per second (one segment each; many landers
 * at once, as many Lambda invocations or receiver requests would), while one assembler runs passes
 * back to back on the same file, for D seconds. Printed: segments assembled per second, the lag
 * (how long the oldest landed, unassembled segment had waited when each pass began, FIFO order
 * assumed), and the calls per assembled segment, each against L = 0 measured in the same run.
 * Landing and assembly share one process and one event loop here; on EFS they run on different
 * clients, so this is the harder case for the assembler.
 */

const { values } = parseArgs({
  options: {
    latencies: { type: 'string', default: '0,1,2,3' },
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '20' },
    'events-per-unit': { type: 'string', default: '20' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const LATENCIES = (values.latencies as string).split(',').map(Number);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const EVENTS = Number(values['events-per-unit']);
const LOG_GROUP = 'api-gateway-access-busy';
const HOUR_START_MS = Date.UTC(2026, 10, 22, 10, 0, 0);

/** Marks the assembler's calls, so that calls per segment count the assembler's own, not the landers'. */
const role = new AsyncLocalStorage<'assembler'>();

interface Result {
  latencyMs: number;
  landed: number;
  assembled: number;
  passes: number;
  segmentsPerSecond: number;
  maxLagMs: number;
  finalLagMs: number;
  callsPerSegment: number;
  /** Landings that failed and were retried, as the source would (a coded FS_ error each). */
  landingRetries: number;
  retryCodes: string;
}

/** The port with every call, and every file-handle call, delayed by `ms` and counted. */
function slowPort(ms: number, counter: { calls: number }): FsPort {
  const real = { ...fs };
  const wait = async () => {
    if (role.getStore() === 'assembler') counter.calls++;
    if (ms > 0) await sleep(ms);
  };
  const handleMethods = new Set([
    'write',
    'sync',
    'datasync',
    'read',
    'stat',
    'close',
    'truncate',
    'readFile',
  ]);
  const wrapHandle = (fh: FileHandle): FileHandle =>
    new Proxy(fh, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        const fn = v as (...a: unknown[]) => unknown;
        if (!handleMethods.has(String(prop))) return fn.bind(target);
        return async (...args: unknown[]) => {
          await wait();
          return fn.apply(target, args);
        };
      },
    });
  const port: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(real)) {
    port[name] = async (...args: unknown[]) => {
      await wait();
      const out = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      return name === 'open' ? wrapHandle(out as FileHandle) : out;
    };
  }
  return port as unknown as FsPort;
}

function eventsOf(k: number, total: number): LogEvent[] {
  const timestamp = HOUR_START_MS + Math.floor((k * 3_599_000) / total);
  const events: LogEvent[] = [];
  for (let j = 0; j < EVENTS; j++) {
    const seq = k * EVENTS + j + 1;
    const line = `198.51.100.${seq % 250} - - [22/Nov/2026:10:00:00 +0000] "GET /v1/orders/${seq} HTTP/1.1" 200 ${1000 + (seq % 9000)} req-${seq}`;
    events.push({ id: String(seq).padStart(56, '0'), timestamp, message: Buffer.from(line) });
  }
  return events;
}

async function run(latencyMs: number): Promise<Result> {
  const root = mkdtempSync(join(values.dir as string, 'efsink-latency-'));
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 3600 }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  const counter = { calls: 0 };
  const restore = installFsPort(slowPort(latencyMs, counter));
  const total = Math.ceil(RATE * SECONDS);
  const landedAt: number[] = []; // landing completion times, in completion order
  const t0 = performance.now();
  let stop = false;
  let landingRetries = 0;
  const retryCodes = new Map<string, number>();
  const landers = (async () => {
    // R units per second, released every 100 ms; each lands on its own (no waiting on the others).
    const inFlight = new Set<Promise<void>>();
    for (let tick = 0, k = 0; k < total; tick++) {
      const due = Math.min(total, Math.round((RATE * (tick + 1)) / 10));
      for (; k < due; k++) {
        const plan = planCloudWatchUnit(
          {
            messageType: 'DATA_MESSAGE',
            owner: '123456789012',
            logGroup: LOG_GROUP,
            logStream: 'stage-prod',
            subscriptionFilters: ['efsink'],
            logEvents: eventsOf(k, total),
          },
          config.template,
        );
        const landWithRetries = async (): Promise<void> => {
          for (let attempt = 1; ; attempt++) {
            try {
              await sink.land(plan);
              return;
            } catch (err) {
              if (attempt >= 5) throw err;
              landingRetries++;
              const code = codeOf(err);
              retryCodes.set(code, (retryCodes.get(code) ?? 0) + 1);
              if (process.env.EFSINK_BENCH_DEBUG) console.error(err);
            }
          }
        };
        const p: Promise<void> = landWithRetries().then(() => {
          landedAt.push(performance.now());
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      const next = t0 + (tick + 1) * 100;
      await sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(inFlight);
  })().finally(() => {
    stop = true;
  });
  let assembled = 0;
  let passes = 0;
  let maxLagMs = 0;
  let finalLagMs = 0;
  let callsInPasses = 0;
  for (;;) {
    const done = stop;
    const start = performance.now();
    const lag = assembled < landedAt.length ? start - (landedAt[assembled] as number) : 0;
    maxLagMs = Math.max(maxLagMs, lag);
    const before = counter.calls;
    const report = await role.run('assembler', () => sink.assemble());
    callsInPasses += counter.calls - before;
    if (report.failed.length > 0) throw new Error(`pass failed: ${JSON.stringify(report.failed)}`);
    const appended = report.files.reduce((n, f) => n + f.appendedSegments, 0);
    assembled += appended;
    if (appended > 0) passes++;
    if (done && assembled >= landedAt.length) {
      finalLagMs = lag;
      break;
    }
    if (appended === 0) await sleep(5);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  await landers;
  restore();
  rmSync(root, { recursive: true, force: true });
  return {
    latencyMs,
    landed: landedAt.length,
    assembled,
    passes,
    segmentsPerSecond: assembled / elapsedS,
    maxLagMs,
    finalLagMs,
    callsPerSegment: callsInPasses / Math.max(1, assembled),
    landingRetries,
    retryCodes: [...retryCodes].map(([c, n]) => `${c} ×${n}`).join(', '),
  };
}

console.log(
  `bench:latency — ${RATE} units/s into one hourly file for ${SECONDS} s, file-system calls delayed by ${LATENCIES.join(', ')} ms (${gitDescription()}, node ${process.version})`,
);
const results: Result[] = [];
for (const l of LATENCIES) {
  const r = await run(l);
  results.push(r);
  console.log(
    `L=${l} ms: landed ${r.landed}, assembled ${r.assembled} in ${r.passes} passes; ${r.segmentsPerSecond.toFixed(0)} seg/s over the run; lag max ${(r.maxLagMs / 1000).toFixed(2)} s; ${r.callsPerSegment.toFixed(1)} assembler calls/segment; ${r.landingRetries} landing retries${r.retryCodes ? ` (${r.retryCodes})` : ''}; serial model ${(1000 / Math.max(l, 0.001) / r.callsPerSegment).toFixed(0)} seg/s`,
  );
}
const base = results[0] as Result;
console.log(
  '\n| L (ms) | seg/s landed and assembled | ÷ L=0 | max lag (s) | assembler calls/segment | serial model (seg/s) | overlap achieved |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const serial = r.latencyMs > 0 ? 1000 / r.latencyMs / r.callsPerSegment : Number.POSITIVE_INFINITY;
  // Overlap: calls the assembler made × L, over the time its passes could have taken serially.
  const overlap = r.latencyMs > 0 ? (r.segmentsPerSecond / serial).toFixed(1) : '—';
  console.log(
    `| ${r.latencyMs} | ${r.segmentsPerSecond.toFixed(0)} | ${(r.segmentsPerSecond / base.segmentsPerSecond).toFixed(2)} | ${(r.maxLagMs / 1000).toFixed(2)} | ${r.callsPerSegment.toFixed(1)} | ${Number.isFinite(serial) ? serial.toFixed(0) : '—'} | ${overlap} |`,
  );
}
