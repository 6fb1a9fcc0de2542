import type { Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import type { ReceiverMetrics } from './metrics.js';
import { codeOf } from './protocol.js';
import { DEFAULT_PIN_MAX_AGE_MS, type RequestPins } from './request-pins.js';

export interface AssemblerLoop {
  /** Starts the periodic passes (no-op when the interval is 0). */
  start(): void;
  /** Runs one pass now, or joins the pass already running: passes never overlap. */
  runOnce(): Promise<void>;
  /** Stops scheduling and waits for a running pass. */
  stop(): Promise<void>;
}

/**
 * The receiver's assembler: one `sink.assemble()` every `intervalMs` after the previous pass ended
 * (so passes never overlap and a slow pass delays the next instead of piling up), plus the sweep of
 * old request-id pins. A failed pass is logged and counted; the next one retries.
 */
export function assemblerLoop(deps: {
  sink: Sink;
  pins: RequestPins;
  metrics: ReceiverMetrics;
  log: Logger;
  now: () => number;
  intervalMs: number;
}): AssemblerLoop {
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const runOnce = (): Promise<void> => {
    running ??= (async () => {
      try {
        const report = await deps.sink.assemble();
        deps.metrics.oldestUnassembledAge.set(Math.round(report.oldestUnassembledAgeMs / 1000));
        deps.metrics.assemblies.inc({ result: report.failed.length > 0 ? 'failed' : 'ok' });
        // Sealing (ADR 0017): each failure was logged with its code where it happened.
        const seal = report.seal;
        if (seal !== undefined && (seal.sealedFiles > 0 || seal.failures.length > 0 || seal.exhausted))
          deps.log.info(
            {
              sealedFiles: seal.sealedFiles,
              removedMarkers: seal.removedMarkers,
              failures: seal.failures.length,
              complete: !seal.exhausted,
            },
            'idle assembly state sealed',
          );
        // On a time budget (ADR 0010): a sweep that did not finish carries on after the next pass.
        const swept = await deps.pins.sweep(deps.now(), DEFAULT_PIN_MAX_AGE_MS);
        if (swept.removed > 0 || !swept.complete) deps.log.info({ ...swept }, 'request pins swept');
      } catch (err) {
        deps.metrics.assemblies.inc({ result: 'failed' });
        deps.log.error(
          { code: codeOf(err), err: (err as Error).message },
          'assembly pass failed; next pass retries',
        );
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const schedule = () => {
    if (stopped || deps.intervalMs === 0) return;
    timer = setTimeout(() => {
      void runOnce().then(schedule);
    }, deps.intervalMs);
  };
  return {
    start: schedule,
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
