import { compilePathTemplate, type PathTemplate } from '../core/layout/path-template.js';
import { SETTINGS, type SettingSpec, type Settings } from './settings.js';
import { loadSettings, resolveSettings } from './settings-resolve.js';

export { CONFIG_INVALID } from './settings.js';

/** What every writer of efsink needs to know (flags, variables and defaults: settings.ts). */
export const SINK_KEYS = [
  'root',
  'pathTemplate',
  'segmentRetentionSeconds',
  'sealAfterSeconds',
  'maxDecompressedBytes',
  'leaseSeconds',
  'maxBatchBytes',
  'assembleConcurrency',
  'assembleAfterIngest',
] as const;
export type SinkKey = (typeof SINK_KEYS)[number];

export type SinkConfigInput = { readonly root: string } & Partial<Record<Exclude<SinkKey, 'root'>, unknown>>;
export type SinkConfig = Settings<SinkKey> & { readonly template: PathTemplate };

/**
 * The sink configuration from resolved settings: the path template compiled once (exit 2 if bad).
 * A command reads only the sink settings it uses (verify reads no lease); the others, which it
 * never consults, take their defaults.
 */
export function sinkConfigOf(
  settings: Pick<Settings<SinkKey>, 'root'> & Partial<Settings<SinkKey>>,
): SinkConfig {
  const config: Record<string, unknown> = {};
  for (const key of SINK_KEYS) config[key] = settings[key] ?? (SETTINGS[key] as SettingSpec).default;
  const complete = config as Settings<SinkKey>;
  return Object.freeze({ ...complete, template: compilePathTemplate(complete.pathTemplate) });
}

/** Validates values given by a program (tests, the demo) through the same schema; CONFIG_INVALID if bad. */
export function loadSinkConfig(input: SinkConfigInput, _source?: 'env' | 'flags'): SinkConfig {
  return sinkConfigOf(loadSettings(SINK_KEYS, input));
}

/** Reads the sink configuration from the environment (Lambda, receiver container). */
export function sinkConfigFromEnv(env: NodeJS.ProcessEnv): SinkConfig {
  return sinkConfigOf(resolveSettings(SINK_KEYS, { env }));
}
