import {
  ACCESS_LOG_PRESET_NAMES,
  ACCESS_LOG_PRESETS,
  type AccessLogFormat,
  type AccessLogPresetName,
  assertValidFormat,
  parseAccessLogFormat,
} from '../core/access-log/index.js';
import { EfsinkError } from '../core/errors.js';
import { SimulateErrorCode } from './errors.js';

/** A format the simulator renders with: its display name and the tokenized format. */
export interface SimFormat {
  /** The preset name, or `custom`. */
  readonly name: string;
  readonly format: AccessLogFormat;
}

/**
 * A preset name (`rest-clf`, `http-json`, …) or a custom format, validated by the engine exactly as
 * API Gateway would (throws AccessLogFormatError with FORMAT_* codes). `trailingNewline` appends the
 * one `\n` API Gateway allows at the end of a format: the usual choice for Firehose destinations,
 * whose S3 objects concatenate records with no delimiter.
 *
 * @example
 * resolveFormat('rest-clf', { trailingNewline: true }).format.source.endsWith('\n') // true
 */
export function resolveFormat(spec: string, options: { trailingNewline?: boolean } = {}): SimFormat {
  const preset = Object.hasOwn(ACCESS_LOG_PRESETS, spec)
    ? ACCESS_LOG_PRESETS[spec as AccessLogPresetName]
    : undefined;
  if (preset === undefined && !spec.includes('$') && /^[a-z]+-[a-z]+$/.test(spec)) {
    throw new EfsinkError(
      SimulateErrorCode.unknownPreset,
      `unknown format preset ${JSON.stringify(spec)} (presets: ${ACCESS_LOG_PRESET_NAMES.join(', ')}; or pass a format with $context variables)`,
    );
  }
  let source = preset ?? spec;
  if (options.trailingNewline && !source.endsWith('\n')) source += '\n';
  assertValidFormat(source);
  return { name: preset === undefined ? 'custom' : spec, format: parseAccessLogFormat(source) };
}
