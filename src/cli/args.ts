import { type ParseArgsConfig, parseArgs } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Strict<O extends OptionsConfig> = { args: string[]; options: O; allowPositionals: true; strict: true };
export type ParsedCommandArgs<O extends OptionsConfig> = ReturnType<typeof parseArgs<Strict<O>>>;

import { EfsinkError } from '../core/errors.js';

export const USAGE = 'CLI_USAGE';

/** parseArgs with strict options and our error code, so usage errors print like every other error. */
export function parseCommandArgs<const O extends OptionsConfig>(
  argv: readonly string[],
  options: O,
  command: string,
): ParsedCommandArgs<O> {
  try {
    return parseArgs<Strict<O>>({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new EfsinkError(USAGE, `${command}: ${(err as Error).message}`);
  }
}

/** An integer flag, validated here so the message names the flag and what it received. */
export function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new EfsinkError(USAGE, `--${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export const COMMON_SINK_OPTIONS = {
  root: { type: 'string' },
  'path-template': { type: 'string' },
  'segment-retention-seconds': { type: 'string' },
  'max-decompressed-bytes': { type: 'string' },
  'lease-seconds': { type: 'string' },
  'max-batch-bytes': { type: 'string' },
  'log-level': { type: 'string' },
} as const;
