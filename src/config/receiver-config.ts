import { EfsinkError } from '../core/errors.js';
import { RECEIVER_KEYS, type ReceiverKey } from './receiver-keys.js';
import { CONFIG_INVALID, nameOf, type Settings } from './settings.js';
import { loadSettings, resolveSettings } from './settings-resolve.js';

export { DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS, keepAliveTimeoutSecondsFor } from './keep-alive.js';

export { RECEIVER_KEYS, type ReceiverKey } from './receiver-keys.js';

export type ReceiverConfig = Omit<Settings<ReceiverKey>, 'accessKeys'> & {
  readonly accessKeys: readonly string[];
  readonly metricsPort: number;
};
export type ReceiverConfigInput = Partial<Record<ReceiverKey, unknown>>;

/** The conventional port of a Prometheus exporter. */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * How long a concurrency slot may be held before `/healthz` calls it stuck: the whole request must
 * arrive within the request timeout (Node answers 408 otherwise), and landing the body gets as long
 * again. With the default 120 s that is 240 s, past the 3 minutes Firehose waits for an answer, so
 * a slot held longer serves nobody.
 */
export function stuckSlotMsFor(requestTimeoutSeconds: number): number {
  return 2 * requestTimeoutSeconds * 1000;
}

/**
 * The receiver's configuration from its resolved settings: the metrics port follows the main one
 * (9464, or 0, a free port, beside port 0: tests never clash) and must differ from it.
 */
export function receiverConfigOf(settings: Settings<ReceiverKey>): ReceiverConfig {
  const metricsPort = settings.metricsPort ?? (settings.port === 0 ? 0 : DEFAULT_METRICS_PORT);
  if (metricsPort !== 0 && metricsPort === settings.port)
    throw new EfsinkError(
      CONFIG_INVALID,
      `${nameOf('metricsPort')}: ${metricsPort} is also the main port (the metrics need their own)`,
    );
  return Object.freeze({ ...settings, metricsPort });
}

/** Validates values given by a program (tests, simulate) through the same schema; CONFIG_INVALID if bad. */
export function loadReceiverConfig(input: ReceiverConfigInput): ReceiverConfig {
  return receiverConfigOf(loadSettings(RECEIVER_KEYS, input));
}

/** Reads the receiver settings from the environment (the container). */
export function receiverConfigFromEnv(env: NodeJS.ProcessEnv): ReceiverConfig {
  return receiverConfigOf(resolveSettings(RECEIVER_KEYS, { env }));
}
