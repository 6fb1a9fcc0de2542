import { constants } from 'node:os';
import { nameErrno } from './fs-port.js';

export const IoErrorCode = {
  outputNotOurs: 'ASSEMBLE_OUTPUT_NOT_OURS',
  outputMissing: 'ASSEMBLE_OUTPUT_MISSING',
  leaseLost: 'ASSEMBLE_LEASE_LOST',
  fenced: 'ASSEMBLE_FENCED',
  journalCorrupt: 'ASSEMBLE_JOURNAL_CORRUPT',
} as const;

/**
 * The errno name of a file-system error. Node 20's libuv has no name for ESTALE and reports
 * "Unknown system error -116"; it is named here, since on NFS it is an expected error.
 */
export function errnoName(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.errno === -constants.errno.ESTALE) return 'ESTALE';
  return nameErrno(e).code ?? 'unknown';
}

/**
 * True when a path is gone: ENOENT, or ESTALE — on NFS, a directory we had open (or a cached
 * handle for it) was removed by another client. Measured in `npm run test:nfs` scenario a: the
 * assembler listing a segment directory that another client's pass had just pruned got ESTALE
 * from getdents (test/nfs/FINDINGS.md F3). Used where efsink itself removes directories: the
 * segment tree, which assemblers prune when empty.
 */
export function isGone(err: unknown): boolean {
  const name = errnoName(err);
  return name === 'ENOENT' || name === 'ESTALE';
}
