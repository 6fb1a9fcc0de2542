import { isAbsolute } from 'node:path';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { EfsinkError } from '../core/errors.js';
import {
  compilePathTemplate,
  DEFAULT_PATH_TEMPLATE,
  type PathTemplate,
} from '../core/layout/path-template.js';
import { ENV } from './env-names.js';

export const CONFIG_INVALID = 'CONFIG_INVALID';

const MiB = 1024 * 1024;

/**
 * What every writer of efsink needs to know; one strict schema (unknown keys rejected) shared by
 * the Lambda handlers (from the environment) and the CLI (from flags).
 */
// zod/mini with the English messages only: the full zod build is 450 KB of the Lambda bundle,
// this is 20 KB (measured with esbuild's metafile).
z.config(en());

export const SinkConfigSchema = z.strictObject({
  /** Absolute path of the EFS mount or the local folder standing in for it. */
  root: z.string().check(z.minLength(1), z.refine(isAbsolute, 'must be an absolute path')),
  pathTemplate: z._default(z.string(), DEFAULT_PATH_TEMPLATE),
  /** @default 3600 — an hour: far longer than any lease, so a paused holder cannot race deletion. */
  segmentRetentionSeconds: z._default(z.int().check(z.minimum(0), z.maximum(30 * 86_400)), 3600),
  /**
   * Gzip-bomb guard per delivery unit. CloudWatch Logs batches are at most ~1 MB compressed (the
   * Lambda asynchronous payload limit); 256 MiB leaves room for 100× compression of text.
   * @default 268435456
   */
  maxDecompressedBytes: z._default(z.int().check(z.minimum(1024), z.maximum(2048 * MiB)), 256 * MiB),
  /** @default 30 */
  leaseSeconds: z._default(z.int().check(z.minimum(2), z.maximum(3600)), 30),
  /**
   * Bytes appended per write + fsync + journal commit during assembly: amortises the fsync while
   * bounding memory. @default 8388608
   */
  maxBatchBytes: z._default(z.int().check(z.minimum(1), z.maximum(256 * MiB)), 8 * MiB),
  /**
   * Output files one assembly pass works on at the same time. Each file's work is serial round
   * trips (on EFS ~1–3 ms per metadata operation), so files in parallel multiply throughput;
   * memory grows with it (each file holds up to one batch, `maxBatchBytes`). @default 4
   */
  assembleConcurrency: z._default(z.int().check(z.minimum(1), z.maximum(64)), 4),
  /** @default false */
  assembleAfterIngest: z._default(z.boolean(), false),
});

export type SinkConfigInput = z.input<typeof SinkConfigSchema>;
export type SinkConfig = Readonly<z.output<typeof SinkConfigSchema>> & { readonly template: PathTemplate };

/** Validates once and freezes; a bad value fails with CONFIG_INVALID naming every bad field. */
export function loadSinkConfig(input: SinkConfigInput, source: 'env' | 'flags'): SinkConfig {
  const parsed = SinkConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${nameOf(String(i.path[0] ?? ''), source)}: ${i.message}`,
    );
    throw new EfsinkError(CONFIG_INVALID, `invalid configuration: ${problems.join('; ')}`);
  }
  const template = compilePathTemplate(parsed.data.pathTemplate);
  return Object.freeze({ ...parsed.data, template });
}

/** Reads the sink configuration from the environment (Lambda, receiver container). */
export function sinkConfigFromEnv(env: NodeJS.ProcessEnv): SinkConfig {
  const input: Record<string, unknown> = { root: env[ENV.root] };
  setIf(input, 'pathTemplate', env[ENV.pathTemplate]);
  setIf(input, 'segmentRetentionSeconds', num(env[ENV.segmentRetentionSeconds]));
  setIf(input, 'maxDecompressedBytes', num(env[ENV.maxDecompressedBytes]));
  setIf(input, 'leaseSeconds', num(env[ENV.leaseSeconds]));
  setIf(input, 'assembleAfterIngest', bool(env[ENV.assembleAfterIngest]));
  setIf(input, 'maxBatchBytes', num(env[ENV.maxBatchBytes]));
  setIf(input, 'assembleConcurrency', num(env[ENV.assembleConcurrency]));
  return loadSinkConfig(input as SinkConfigInput, 'env');
}

function setIf(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && value !== '') obj[key] = value;
}

/** Numbers from text; a non-number is passed through as text so that zod reports what was received. */
export function num(text: string | undefined): number | string | undefined {
  if (text === undefined || text === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

function bool(text: string | undefined): boolean | string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return text;
}

const ENV_BY_KEY: Record<string, string> = {
  root: ENV.root,
  pathTemplate: ENV.pathTemplate,
  segmentRetentionSeconds: ENV.segmentRetentionSeconds,
  maxDecompressedBytes: ENV.maxDecompressedBytes,
  leaseSeconds: ENV.leaseSeconds,
  assembleAfterIngest: ENV.assembleAfterIngest,
  maxBatchBytes: ENV.maxBatchBytes,
  assembleConcurrency: ENV.assembleConcurrency,
};

function nameOf(key: string, source: 'env' | 'flags'): string {
  if (source === 'env') return ENV_BY_KEY[key] ?? key;
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
