import { resolve } from 'node:path';
import { loadSinkConfig, type SinkConfig, type SinkConfigInput } from '../config/sink-config.js';
import { EfsinkError } from '../core/errors.js';
import { createSink, type Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import { pinoLogger } from '../observability/pino-logger.js';
import { intFlag, USAGE } from './args.js';

export interface CommonValues {
  readonly root?: string | undefined;
  readonly 'path-template'?: string | undefined;
  readonly 'segment-retention-seconds'?: string | undefined;
  readonly 'max-decompressed-bytes'?: string | undefined;
  readonly 'lease-seconds'?: string | undefined;
  readonly 'max-batch-bytes'?: string | undefined;
  readonly 'assemble-concurrency'?: string | undefined;
  readonly 'log-level'?: string | undefined;
}

export function sinkFromFlags(values: CommonValues): { config: SinkConfig; sink: Sink; log: Logger } {
  if (values.root === undefined)
    throw new EfsinkError(USAGE, '--root DIR is required (the EFS mount or a local folder)');
  const input: Record<string, unknown> = { root: resolve(values.root) };
  const set = (key: string, v: unknown) => {
    if (v !== undefined) input[key] = v;
  };
  set('pathTemplate', values['path-template']);
  set('segmentRetentionSeconds', intFlag(values['segment-retention-seconds'], 'segment-retention-seconds'));
  set('maxDecompressedBytes', intFlag(values['max-decompressed-bytes'], 'max-decompressed-bytes'));
  set('leaseSeconds', intFlag(values['lease-seconds'], 'lease-seconds'));
  set('maxBatchBytes', intFlag(values['max-batch-bytes'], 'max-batch-bytes'));
  set('assembleConcurrency', intFlag(values['assemble-concurrency'], 'assemble-concurrency'));
  const config = loadSinkConfig(input as SinkConfigInput, 'flags');
  // Silent by default: the CLI prints one line per failed unit itself; --log-level info adds JSON logs.
  const log = pinoLogger(values['log-level'] ?? process.env.EFSINK_LOG_LEVEL ?? 'silent');
  const onStep = stepHook();
  return { config, sink: createSink(config, { log, ...(onStep ? { onStep } : {}) }), log };
}

/**
 * Crash-test hook: with EFSINK_TEST_PAUSE_AT=<step>, the process writes `step <name>` to stderr and
 * stops itself (SIGSTOP) at that step, so a test can SIGKILL it at an exact point. Unset in
 * production; costs one comparison per step.
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
