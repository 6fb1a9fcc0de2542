import type { Settings } from '../config/settings.js';
import { type SinkConfig, type SinkKey, sinkConfigOf } from '../config/sink-config.js';
import { createSink, type Sink } from '../io/sink.js';
import { type Logger, silentLogger } from '../observability/logger.js';

/**
 * The sink of a command, from its resolved settings. pino is loaded only when a command logs
 * (one-shot commands default to `silent`: they print one line per failed unit themselves).
 */
export async function openSink(
  settings: Pick<Settings<SinkKey | 'logLevel'>, 'root' | 'logLevel'> & Partial<Settings<SinkKey>>,
): Promise<{ config: SinkConfig; sink: Sink; log: Logger }> {
  const config = sinkConfigOf(settings);
  const log =
    settings.logLevel === 'silent'
      ? silentLogger
      : (await import('../observability/pino-logger.js')).pinoLogger(settings.logLevel);
  const onStep = stepHook();
  return { config, sink: createSink(config, { log, ...(onStep ? { onStep } : {}) }), log };
}

/**
 * Crash-test hook: with EFSINK_TEST_PAUSE_AT=<step>, the process writes `step <name>` to stderr and
 * stops itself (SIGSTOP) at that step, so a test can SIGKILL it at an exact point. Unset in
 * production; costs one comparison per step. (A test hook, not a setting: not in settings.ts.)
 */
function stepHook(): ((step: string) => void) | undefined {
  const at = process.env.EFSINK_TEST_PAUSE_AT;
  if (!at) return undefined;
  let seen = 0;
  const nth = Number(process.env.EFSINK_TEST_PAUSE_NTH ?? '1');
  return (step) => {
    if (step !== at || ++seen !== nth) return;
    process.stderr.write(`step ${step}\n`);
    process.kill(process.pid, 'SIGSTOP');
  };
}
