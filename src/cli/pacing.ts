import { createProgress, type Progress } from '../backfill/progress.js';
import { systemClock, tokenBucket } from '../backfill/rate-limiter.js';
import { DEFAULT_RETRY } from '../backfill/retry.js';
import type { Settings } from '../config/settings.js';
import { EfsinkError } from '../core/errors.js';

/**
 * --rate, --max-attempts and --retry-base-ms as the pacing both sources use. Each retry is logged
 * and counted in the progress line (`retries N`), so a throttled run shows why it is slow.
 */
export function pacingOf(
  settings: Settings<'rate' | 'maxAttempts' | 'retryBaseMs', 'rate'>,
  log: { warn: (obj: object, msg: string) => void },
  retries: { count: number } = { count: 0 },
) {
  return {
    limiter: tokenBucket(settings.rate, 1),
    retry: {
      ...DEFAULT_RETRY,
      maxAttempts: settings.maxAttempts,
      baseDelayMs: settings.retryBaseMs,
      sleep: systemClock.sleep,
      random: Math.random,
      onRetry: (r: { attempt: number; delayMs: number; reason: string }) => {
        retries.count++;
        log.warn(r, 'retrying source request');
      },
    },
  };
}

/** A progress reporter that appends `, N retries` to each line once a request was retried. */
export function withRetries(progress: Progress, retries: { count: number }): Progress {
  return {
    update: (s) =>
      progress.update(
        retries.count === 0
          ? s
          : { ...s, detail: `${s.detail ? `${s.detail} ` : ''}(${retries.count} retries)` },
      ),
    done: (summary) =>
      progress.done(
        summary === undefined || retries.count === 0
          ? summary
          : `${summary}; ${retries.count} source request(s) retried`,
      ),
  };
}

/** The progress line on stderr of a backfill or verify run, counting `unit`, with its retries. */
export function progressOf(
  label: string,
  settings: { readonly progressIntervalMs?: number | undefined },
  retries: { count: number },
  unit?: string,
): Progress {
  return withRetries(
    createProgress(process.stderr, label, {
      ...(unit !== undefined ? { unit } : {}),
      ...(settings.progressIntervalMs !== undefined ? { intervalMs: settings.progressIntervalMs } : {}),
    }),
    retries,
  );
}

/** `--start` and `--end` of a CloudWatch backfill or verify: end is exclusive, so it must be later. */
export function timeRangeOf(settings: { readonly start: number; readonly end: number }): {
  startMs: number;
  endMs: number;
} {
  const { start: startMs, end: endMs } = settings;
  if (endMs <= startMs)
    throw new EfsinkError(
      'CLI_USAGE',
      `--end must be after --start (end is exclusive), got ${new Date(startMs).toISOString()} .. ${new Date(endMs).toISOString()}`,
    );
  return { startMs, endMs };
}
