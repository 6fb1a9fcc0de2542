import { EfsinkError } from '../core/errors.js';

export const IoErrorCode = {
  writeFailed: 'WRITE_FAILED',
  outputNotOurs: 'ASSEMBLE_OUTPUT_NOT_OURS',
  outputMissing: 'ASSEMBLE_OUTPUT_MISSING',
  leaseLost: 'ASSEMBLE_LEASE_LOST',
  fenced: 'ASSEMBLE_FENCED',
  journalCorrupt: 'ASSEMBLE_JOURNAL_CORRUPT',
} as const;

/** Wraps an unexpected file-system error with a stable code and the operation that failed. */
export function writeFailed(op: string, path: string, cause: unknown): EfsinkError {
  const code = (cause as { code?: string }).code ?? 'unknown';
  return new EfsinkError(IoErrorCode.writeFailed, `${op} ${path} failed: ${code}`, { cause });
}
