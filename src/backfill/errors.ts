import type { ErrorCode } from '../core/error-catalogue.js';
import { EfsinkError } from '../core/errors.js';

/** Codes raised by backfill and verify (listed in docs/errors.md). */
export const BackfillErrorCode = {
  retriesExhausted: 'SOURCE_RETRIES_EXHAUSTED',
  sourceFailed: 'SOURCE_REQUEST_FAILED',
  checkpointCorrupt: 'BACKFILL_CHECKPOINT_CORRUPT',
} as const;

export function backfillError(code: ErrorCode, message: string, cause?: unknown): EfsinkError {
  return new EfsinkError(code, message, cause === undefined ? undefined : { cause });
}
