import { join } from 'node:path';
import { EfsinkError } from '../core/errors.js';
import type { SegmentMeta } from '../core/write/segment-meta.js';
import { publishFile } from './durable-file.js';
import { IoErrorCode } from './errors.js';
import { fs } from './fs-port.js';

/**
 * The journal of one output file: how many bytes of it are committed, and which segments those
 * bytes hold (the record that makes a redelivered segment a no-op). Each epoch writes its own
 * `journal-<epoch>.json`, and a journal is bound to the inode of the output file it describes, so
 * a holder that lost its lease and commits late writes a journal nobody reads (ADR 0002).
 */
export interface Journal {
  readonly version: 1;
  readonly epoch: number;
  /** Inode number of the output file these bytes are in. */
  readonly ino: number;
  readonly committedLength: number;
  /** True once the epoch's holder finished cleanly; the next holder may then reuse the inode. */
  readonly released: boolean;
  /** Segment name → where its bytes are and when they were committed. */
  readonly segments: Readonly<Record<string, JournalEntry>>;
}

export interface JournalEntry {
  readonly offset: number;
  readonly length: number;
  readonly committedAtMs: number;
  /** The segment's event-id description from its header, copied at commit (ADR 0004, 0007); absent when it has none. */
  readonly meta?: SegmentMeta;
}

const JOURNAL_RE = /^journal-(\d{12})\.json$/;
const CLAIM_RE = /^claim-(\d{12})$/;

export function journalName(epoch: number): string {
  return `journal-${pad(epoch)}.json`;
}

export function claimName(epoch: number): string {
  return `claim-${pad(epoch)}`;
}

function pad(n: number): string {
  return String(n).padStart(12, '0');
}

export interface StateListing {
  readonly journalEpochs: readonly number[];
  readonly maxClaim: number;
}

export async function listState(stateDir: string): Promise<StateListing> {
  let names: string[];
  try {
    names = await fs.readdir(stateDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { journalEpochs: [], maxClaim: 0 };
    throw err;
  }
  const journalEpochs: number[] = [];
  let maxClaim = 0;
  for (const n of names) {
    const j = JOURNAL_RE.exec(n);
    if (j) journalEpochs.push(Number(j[1]));
    const c = CLAIM_RE.exec(n);
    if (c) maxClaim = Math.max(maxClaim, Number(c[1]));
  }
  journalEpochs.sort((a, b) => b - a);
  return { journalEpochs, maxClaim: Math.max(maxClaim, journalEpochs[0] ?? 0) };
}

export async function readJournal(stateDir: string, epoch: number): Promise<Journal | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(join(stateDir, journalName(epoch)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const j = JSON.parse(bytes.toString('utf8')) as Journal;
    if (j.version !== 1 || typeof j.committedLength !== 'number' || typeof j.ino !== 'number')
      throw new Error('shape');
    return j;
  } catch (cause) {
    throw new EfsinkError(
      IoErrorCode.journalCorrupt,
      `journal ${join(stateDir, journalName(epoch))} is not a valid journal`,
      {
        cause,
      },
    );
  }
}

/**
 * The journal that describes the output file as it is now: the newest one bound to its inode.
 * Journals bound to another inode were written by holders whose file was replaced (fenced).
 */
export async function currentJournal(
  stateDir: string,
  ino: number | undefined,
  listing: StateListing,
): Promise<Journal | undefined> {
  if (ino === undefined) return undefined;
  for (const epoch of listing.journalEpochs) {
    const j = await readJournal(stateDir, epoch);
    if (j !== undefined && j.ino === ino) return j;
  }
  return undefined;
}

export async function writeJournal(stateDir: string, tmpDir: string, journal: Journal): Promise<void> {
  await publishFile(tmpDir, join(stateDir, journalName(journal.epoch)), Buffer.from(JSON.stringify(journal)));
}

/** Deletes journals older than `keepFrom`; they are never read again once a newer one is bound. */
export async function pruneJournals(
  stateDir: string,
  listing: StateListing,
  keepFrom: number,
): Promise<void> {
  for (const epoch of listing.journalEpochs) {
    if (epoch < keepFrom) await fs.unlink(join(stateDir, journalName(epoch))).catch(() => {});
  }
}
