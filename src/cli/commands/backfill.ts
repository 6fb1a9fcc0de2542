import { backfillCloudWatch } from '../../backfill/backfill-cloudwatch.js';
import { backfillS3, type S3BackfillOptions } from '../../backfill/backfill-s3.js';
import { createLogsClient } from '../../backfill/cloudwatch-source.js';
import { createProgress } from '../../backfill/progress.js';
import { systemClock, tokenBucket } from '../../backfill/rate-limiter.js';
import { DEFAULT_RETRY } from '../../backfill/retry.js';
import { createS3Client } from '../../backfill/s3-source.js';
import type { SinkConfig } from '../../config/sink-config.js';
import { EfsinkError } from '../../core/errors.js';
import type { Sink } from '../../io/sink.js';
import type { Logger } from '../../observability/logger.js';
import {
  bySource,
  COMMON_SINK_OPTIONS,
  intFlag,
  type ParsedCommandArgs,
  parseCommandArgs,
  requireFlag,
  SOURCE_OPTIONS,
  USAGE,
} from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';
import { parseRange } from './time-range.js';

export const BACKFILL_HELP = `efsink backfill cloudwatch --log-group G --start T --end T --root DIR [--endpoint URL] [--region R]
    [--rate N] [--max-attempts N] [--owner ACCOUNT] [--no-assemble]
  Copies the log group's events in [start, end) (ISO 8601, end exclusive) onto DIR through the same
  landing and assembly as the live path. Events already on EFS (by event id) are skipped. Resumable:
  rerun the same command after a crash. --rate: FilterLogEvents requests per second (default 4; the
  account-wide quota is 5). Exit 0 when every page is durable and assembled.

efsink backfill s3 --bucket B [--prefix P] --root DIR [--endpoint URL] [--region R] [--rate N]
    [--log-group NAME] [--page-size N] [--max-attempts N] [--no-assemble]
  Lands every object under the prefix (keys ending in / skipped) through the S3 path's own code
  (one object = one entry, hour from the Firehose object name). Objects the live S3 path already
  landed are no-ops (same object identity, same segment name). Resumable: the checkpoint holds the
  last key handled; a rerun lists after it (and retries objects that failed). --rate: S3 requests
  per second (default 50); --page-size: ListObjectsV2 MaxKeys (default 1000). A bad object is
  reported with its code and the others continue; exit 1 if any object failed.`;

/** S3 serves thousands of GETs per second per prefix; this is courtesy towards the live path, not a quota. */
export const DEFAULT_S3_RATE_PER_SECOND = 50;

/** FilterLogEvents: 5 TPS per account and Region, not adjustable (CloudWatch Logs quotas); leave 1 for others. */
export const DEFAULT_RATE_PER_SECOND = 4;
/** CloudWatch retries subscription deliveries for up to 24 h (CloudWatch Logs Subscriptions). */
const LIVE_REDELIVERY_WINDOW_MS = 24 * 3_600_000;

const OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  'log-group': { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  ...SOURCE_OPTIONS,
  owner: { type: 'string' },
  'no-assemble': { type: 'boolean' },
  'progress-interval-ms': { type: 'string' },
} as const;

export const S3_OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  ...SOURCE_OPTIONS,
  'log-group': { type: 'string' },
  'page-size': { type: 'string' },
  'no-assemble': { type: 'boolean' },
  'progress-interval-ms': { type: 'string' },
} as const;

/** --rate, --max-attempts and --retry-base-ms as the retry options both sources use. */
export function pacingFromFlags(
  values: {
    rate?: string | undefined;
    'max-attempts'?: string | undefined;
    'retry-base-ms'?: string | undefined;
  },
  defaultRate: number,
  log: { warn: (obj: object, msg: string) => void },
) {
  const rate = Number(values.rate ?? defaultRate);
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new EfsinkError(
      USAGE,
      `--rate must be a positive number of requests per second, got ${values.rate}`,
    );
  const maxAttempts = intFlag(values['max-attempts'], 'max-attempts') ?? DEFAULT_RETRY.maxAttempts;
  if (maxAttempts < 1) throw new EfsinkError(USAGE, '--max-attempts must be at least 1');
  return {
    limiter: tokenBucket(rate, 1),
    retry: {
      ...DEFAULT_RETRY,
      maxAttempts,
      baseDelayMs: intFlag(values['retry-base-ms'], 'retry-base-ms') ?? DEFAULT_RETRY.baseDelayMs,
      sleep: systemClock.sleep,
      random: Math.random,
      onRetry: (r: { attempt: number; delayMs: number; reason: string }) =>
        log.warn(r, 'retrying source request'),
    },
  };
}

async function backfillS3Command(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, S3_OPTIONS, 'backfill s3');
  return s3ObjectsCommand(values, out, 'backfill s3');
}

export type S3ObjectsValues = ParsedCommandArgs<typeof S3_OPTIONS>['values'];

/**
 * `backfill s3` and `replay firehose-backup`: list the objects under the prefix, land each
 * (`custom` gives the per-object function and the checkpoint's kind; default the S3 path's
 * ingestS3Object), checkpoint after each, report. Exit 1 if any object or file failed.
 */
export async function s3ObjectsCommand(
  values: S3ObjectsValues,
  out: NodeJS.WritableStream,
  command: string,
  custom?: (ctx: {
    config: SinkConfig;
    sink: Sink;
    log: Logger;
  }) => Pick<S3BackfillOptions, 'ingestObject' | 'checkpointKind'>,
): Promise<number> {
  if (!values.bucket) throw new EfsinkError(USAGE, `${command}: --bucket B is required`);
  const pageSize = intFlag(values['page-size'], 'page-size');
  if (pageSize !== undefined && (pageSize < 1 || pageSize > 1000))
    throw new EfsinkError(USAGE, '--page-size must be between 1 and 1000 (ListObjectsV2 MaxKeys)');
  const { config, sink, log } = sinkFromFlags(values);
  const pacing = pacingFromFlags(values, DEFAULT_S3_RATE_PER_SECOND, log);
  const verb = command.split(' ')[0] as string;
  const progress = createProgress(process.stderr, verb, {
    unit: 'objects',
    ...(values['progress-interval-ms'] !== undefined
      ? { intervalMs: intFlag(values['progress-interval-ms'], 'progress-interval-ms') as number }
      : {}),
  });
  const client = createS3Client({ endpoint: values.endpoint, region: values.region });
  try {
    const report = await backfillS3({
      bucket: values.bucket,
      prefix: values.prefix,
      logGroup: values['log-group'],
      config,
      sink,
      client,
      pacing,
      pageSize,
      assemble: values['no-assemble'] !== true,
      log,
      progress,
      ...custom?.({ config, sink, log }),
    });
    const c = report.checkpoint;
    const failed = report.assembly?.failed ?? [];
    for (const f of c.failed)
      process.stderr.write(`s3://${values.bucket}/${f.key}: ${f.code}: ${f.message}\n`);
    for (const k of report.vanished)
      process.stderr.write(`s3://${values.bucket}/${k}: failed earlier and no longer exists; dropped\n`);
    for (const f of failed) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
    progress.done(
      `${verb} ${report.resumed ? 'resumed and ' : ''}complete: ${c.pages} page(s), ${c.objectsRead} objects read, ${c.objectsLanded} landed (${c.bytesLanded} bytes), ${c.objectsAlreadyPresent} already on EFS, ${c.failed.length} failed`,
    );
    const files = report.assembly?.files ?? [];
    out.write(
      `${JSON.stringify({
        pages: c.pages,
        objectsRead: c.objectsRead,
        objectsLanded: c.objectsLanded,
        objectsAlreadyPresent: c.objectsAlreadyPresent,
        bytesLanded: c.bytesLanded,
        recovered: report.recovered,
        failed: c.failed.map((f) => ({ key: f.key, code: f.code })),
        assemblyFailed: failed.length,
        // A unit whose segments were assembled and pruned lands again and is skipped here by name.
        assembly: {
          appendedSegments: files.reduce((n, f) => n + f.appendedSegments, 0),
          duplicateSegments: files.reduce((n, f) => n + f.duplicateSegments, 0),
        },
      })}\n`,
    );
    return failed.length === 0 && c.failed.length === 0 ? 0 : 1;
  } finally {
    client.destroy();
  }
}

async function backfillCloudWatchCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS, 'backfill cloudwatch');
  const logGroup = requireFlag(values['log-group'], '--log-group G is required');
  const { startMs, endMs } = parseRange(values.start, values.end);
  const { config, sink, log } = sinkFromFlags(values);
  if (config.template.source.includes('{owner}') && values.owner === undefined) {
    throw new EfsinkError(
      USAGE,
      `the path template ${config.template.source} uses {owner}: pass --owner ACCOUNT_ID`,
    );
  }
  const pacing = pacingFromFlags(values, DEFAULT_RATE_PER_SECOND, log);
  if (endMs > Date.now() - LIVE_REDELIVERY_WINDOW_MS) {
    process.stderr.write(
      'warning: the range ends less than 24 h ago; events the live subscription delivers after this backfill would be written twice (ADR 0004)\n',
    );
  }
  const progress = createProgress(process.stderr, 'backfill', {
    ...(values['progress-interval-ms'] !== undefined
      ? { intervalMs: intFlag(values['progress-interval-ms'], 'progress-interval-ms') as number }
      : {}),
  });
  const report = await backfillCloudWatch({
    logGroup,
    startMs,
    endMs,
    extraValues: values.owner !== undefined ? { owner: values.owner } : {},
    config,
    sink,
    client: createLogsClient({ endpoint: values.endpoint, region: values.region }),
    pacing,
    assemble: values['no-assemble'] !== true,
    log,
    progress,
  });
  const c = report.checkpoint;
  const failed = report.assembly?.failed ?? [];
  for (const f of failed) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
  progress.done(
    `backfill ${report.resumed ? 'resumed and ' : ''}complete: ${c.pages} page(s), ${c.eventsRead} events read, ${c.eventsLanded} landed (${c.bytesLanded} bytes), ${c.eventsSkipped} already on EFS${report.unknownSegments > 0 ? `, ${report.unknownSegments} segment(s) without an event-id description (not deduplicated)` : ''}`,
  );
  out.write(
    `${JSON.stringify({ pages: c.pages, eventsRead: c.eventsRead, eventsLanded: c.eventsLanded, eventsSkipped: c.eventsSkipped, bytesLanded: c.bytesLanded, assemblyFailed: failed.length })}\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

export const backfillCommand = bySource('backfill', {
  cloudwatch: backfillCloudWatchCommand,
  s3: backfillS3Command,
});
