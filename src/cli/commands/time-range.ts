import { EfsinkError } from '../../core/errors.js';
import { USAGE } from '../args.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 instant (`2025-08-06`, `2025-08-06T14:00Z`, `…T14:00:00.000+02:00`) as ms since epoch. */
export function parseInstant(value: string | undefined, flag: string): number {
  if (value === undefined)
    throw new EfsinkError(USAGE, `--${flag} is required (ISO 8601, e.g. 2025-08-06T14:00:00Z)`);
  const ms = ISO.test(value) ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new EfsinkError(
      USAGE,
      `--${flag} must be an ISO 8601 date or date-time with a zone (e.g. 2025-08-06T14:00:00Z), got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** `--start` and `--end` (exclusive), checked for order. */
export function parseRange(
  start: string | undefined,
  end: string | undefined,
): { startMs: number; endMs: number } {
  const startMs = parseInstant(start, 'start');
  const endMs = parseInstant(end, 'end');
  if (endMs <= startMs)
    throw new EfsinkError(USAGE, `--end must be after --start (end is exclusive), got ${start} .. ${end}`);
  return { startMs, endMs };
}
