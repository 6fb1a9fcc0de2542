import { backfillCloudWatch } from '../../backfill/backfill-cloudwatch.js';
import { createLogsClient } from '../../backfill/cloudwatch-source.js';
import { createProgress } from '../../backfill/progress.js';
import { systemClock, tokenBucket } from '../../backfill/rate-limiter.js';
import { DEFAULT_RETRY } from '../../backfill/retry.js';
import { describeReceived, EfsinkError } from '../../core/errors.js';
import { COMMON_SINK_OPTIONS, intFlag, parseCommandArgs, USAGE } from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';
import { parseRange } from './time-range.js';

export const BACKFILL_HELP = `efsink backfill cloudwatch --log-group G --start T --end T --root DIR [--endpoint URL] [--region R]
    [--rate N] [--max-attempts N] [--owner ACCOUNT] [--no-assemble]
  Copies the log group's events in [start, end) (ISO 8601, end exclusive) onto DIR through the same
  landing and assembly as the live path. Events already on EFS (by event id) are skipped. Resumable:
  rerun the same command after a crash. --rate: FilterLogEvents requests per second (default 4; the
  account-wide quota is 5). Exit 0 when every page is durable and assembled.`;

/** FilterLogEvents: 5 TPS per account and Region, not adjustable (CloudWatch Logs quotas); leave 1 for others. */
export const DEFAULT_RATE_PER_SECOND = 4;
/** CloudWatch retries subscription deliveries for up to 24 h (CloudWatch Logs Subscriptions). */
const LIVE_REDELIVERY_WINDOW_MS = 24 * 3_600_000;

const OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  'log-group': { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  rate: { type: 'string' },
  'max-attempts': { type: 'string' },
  'retry-base-ms': { type: 'string' },
  owner: { type: 'string' },
  'no-assemble': { type: 'boolean' },
  'progress-interval-ms': { type: 'string' },
} as const;

export async function backfillCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const [source, ...rest] = argv;
  if (source !== 'cloudwatch') {
    throw new EfsinkError(
      USAGE,
      `backfill: unknown source ${describeReceived(source)} (allowed: cloudwatch)`,
    );
  }
  const { values } = parseCommandArgs(rest, OPTIONS, 'backfill cloudwatch');
  const logGroup = values['log-group'];
  if (logGroup === undefined || logGroup === '') throw new EfsinkError(USAGE, '--log-group G is required');
  const { startMs, endMs } = parseRange(values.start, values.end);
  const { config, sink, log } = sinkFromFlags(values);
  if (config.template.source.includes('{owner}') && values.owner === undefined) {
    throw new EfsinkError(
      USAGE,
      `the path template ${config.template.source} uses {owner}: pass --owner ACCOUNT_ID`,
    );
  }
  const rate = Number(values.rate ?? DEFAULT_RATE_PER_SECOND);
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new EfsinkError(
      USAGE,
      `--rate must be a positive number of requests per second, got ${values.rate}`,
    );
  const maxAttempts = intFlag(values['max-attempts'], 'max-attempts') ?? DEFAULT_RETRY.maxAttempts;
  if (maxAttempts < 1) throw new EfsinkError(USAGE, '--max-attempts must be at least 1');
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
    pacing: {
      limiter: tokenBucket(rate, 1),
      retry: {
        ...DEFAULT_RETRY,
        maxAttempts,
        baseDelayMs: intFlag(values['retry-base-ms'], 'retry-base-ms') ?? DEFAULT_RETRY.baseDelayMs,
        sleep: systemClock.sleep,
        random: Math.random,
        onRetry: (r) => log.warn(r, 'retrying source request'),
      },
    },
    assemble: values['no-assemble'] !== true,
    log,
    progress,
  });
  const c = report.checkpoint;
  const failed = report.assembly?.failed ?? [];
  for (const f of failed) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
  progress.done(
    `backfill ${report.resumed ? 'resumed and ' : ''}complete: ${c.pages} page(s), ${c.eventsRead} events read, ${c.eventsLanded} landed (${c.bytesLanded} bytes), ${c.eventsSkipped} already on EFS${report.unknownSegments > 0 ? `, ${report.unknownSegments} segment(s) without sidecar (not deduplicated)` : ''}`,
  );
  out.write(
    `${JSON.stringify({ pages: c.pages, eventsRead: c.eventsRead, eventsLanded: c.eventsLanded, eventsSkipped: c.eventsSkipped, bytesLanded: c.bytesLanded, assemblyFailed: failed.length })}\n`,
  );
  return failed.length === 0 ? 0 : 1;
}
