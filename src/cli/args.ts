import { type ParseArgsConfig, parseArgs } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Strict<O extends OptionsConfig> = { args: string[]; options: O; allowPositionals: true; strict: true };
export type ParsedCommandArgs<O extends OptionsConfig> = ReturnType<typeof parseArgs<Strict<O>>>;

import { describeReceived, EfsinkError } from '../core/errors.js';

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

export type Command = (argv: readonly string[], out: NodeJS.WritableStream) => Promise<number>;

/** `efsink <command> cloudwatch|s3 …`: runs the source's command, or fails naming the allowed sources. */
export function bySource(command: string, sources: { cloudwatch: Command; s3: Command }): Command {
  return async (argv, out) => {
    const [source, ...rest] = argv;
    if (source === 'cloudwatch' || source === 's3') return sources[source](rest, out);
    throw new EfsinkError(
      USAGE,
      `${command}: unknown source ${describeReceived(source)} (allowed: cloudwatch, s3)`,
    );
  };
}

/** A flag that must be given and not empty; `message` says which and what it holds. */
export function requireFlag(value: string | undefined, message: string): string {
  if (value === undefined || value === '') throw new EfsinkError(USAGE, message);
  return value;
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
  'assemble-concurrency': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/** Flags of every command that reads an AWS source (CloudWatch Logs or S3) through efsink's pacing. */
export const SOURCE_OPTIONS = {
  endpoint: { type: 'string' },
  region: { type: 'string' },
  rate: { type: 'string' },
  'max-attempts': { type: 'string' },
  'retry-base-ms': { type: 'string' },
} as const;
