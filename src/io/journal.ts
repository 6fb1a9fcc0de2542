import { join } from 'node:path';
import { EfsinkError } from '../core/errors.js';
import type { SegmentMeta } from '../core/write/segment-meta.js';
import { assertDir, READ_NOFOLLOW, refuseIfSymlink } from './confine.js';
import { fsyncDir, publishFile, tempName, writeTemp } from './durable-file.js';
import { IoErrorCode, isGone } from './errors.js';
import { type FileHandle, fs } from './fs-port.js';
import { mapBounded } from './map-bounded.js';

/**
 * The assembly state of one output file (ADR 0013, amending ADR 0002):
 *
 * - `journal-<E>.json`, the **head** written by epoch E: how many bytes of the output file are
 *   committed, which inode and generation they are in, and what earlier generations they were copied
 *   from. Constant size: it never lists segments, so a commit rewrites a few hundred bytes.
 * - `batches/<E>-<seq>.json`, one **batch record** per commit: the segments of that batch (name,
 *   offset, length, commit time, event-id description). Written once, never rewritten.
 * - `done/<segment name>`, a **marker** per assembled segment: a hard link to its batch record, made
 *   before the batch's bytes are written. Valid only if the head says those bytes are committed in
 *   this lineage (`isCommitted`), so markers of a crashed or fenced batch are ignored.
 *
 * A head is bound to the inode of the output file it describes, so a holder that lost its file and
 * commits late writes a head nobody reads. Heads of the previous format (version 1, with every
 * segment inline) are read as `JournalV1` and upgraded by the next pass.
 */
export interface Journal {
  readonly version: 2;
  readonly epoch: number;
  /** Inode number of the output file these bytes are in. */
  readonly ino: number;
  /** Generation of that inode: the epoch that created it (takeover). Never reused, unlike inode numbers. */
  readonly gen: number;
  readonly committedLength: number;
  /** True once the epoch's holder finished cleanly; only epoch+1 may then reuse the inode. */
  readonly released: boolean;
  /** Earlier generations this file's bytes were copied from, and how many bytes of each (one per takeover). */
  readonly ancestors: readonly Ancestor[];
}

export interface Ancestor {
  readonly gen: number;
  readonly length: number;
}

export interface BatchEntry {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly committedAtMs: number;
  /** The segment's event-id description from its header (ADR 0004, 0007); absent when it has none. */
  readonly meta?: SegmentMeta;
}

export interface BatchRecord {
  readonly version: 2;
  readonly gen: number;
  readonly epoch: number;
  readonly entries: readonly BatchEntry[];
}

/** The journal format before ADR 0013: one file with every segment of the hour. */
export interface JournalV1 {
  readonly version: 1;
  readonly epoch: number;
  readonly ino: number;
  readonly committedLength: number;
  readonly released: boolean;
  readonly segments: Readonly<Record<string, Omit<BatchEntry, 'name'>>>;
}

export type AnyJournal = Journal | JournalV1;

const JOURNAL_RE = /^journal-(\d{12})\.json$/;
const CLAIM_RE = /^claim-(\d{12})$/;
/** A takeover copy in progress and its progress record (`copy-<source gen>-<source inode>.*`). */
const COPY_RE = /^copy-(\d+)-(\d+)\.(part|progress)$/;
export const BATCHES_DIR = 'batches';
export const DONE_DIR = 'done';

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
  readonly claimEpochs: readonly number[];
  readonly maxClaim: number;
  /** Takeover copies (parts and progress records) and the inode each one copies from. */
  readonly copies: readonly { readonly name: string; readonly sourceIno: number }[];
}

/** Lists the state folder: heads and claims only (markers and batch records are in subfolders). */
export async function listState(stateDir: string): Promise<StateListing> {
  let names: string[];
  try {
    await assertDir(stateDir); // readdir follows symlinks (ADR 0014)
    names = await fs.readdir(stateDir);
  } catch (err) {
    if (isGone(err)) return { journalEpochs: [], claimEpochs: [], maxClaim: 0, copies: [] };
    throw err;
  }
  const journalEpochs: number[] = [];
  const claimEpochs: number[] = [];
  const copies: { name: string; sourceIno: number }[] = [];
  for (const n of names) {
    const k = COPY_RE.exec(n);
    if (k) copies.push({ name: n, sourceIno: Number(k[2]) });
    const j = JOURNAL_RE.exec(n);
    if (j) journalEpochs.push(Number(j[1]));
    const c = CLAIM_RE.exec(n);
    if (c) claimEpochs.push(Number(c[1]));
  }
  journalEpochs.sort((a, b) => b - a);
  claimEpochs.sort((a, b) => b - a);
  return {
    journalEpochs,
    claimEpochs,
    maxClaim: Math.max(claimEpochs[0] ?? 0, journalEpochs[0] ?? 0),
    copies,
  };
}

export async function readJournal(stateDir: string, epoch: number): Promise<AnyJournal | undefined> {
  const path = join(stateDir, journalName(epoch));
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(path, { flag: READ_NOFOLLOW });
  } catch (err) {
    if (isGone(err)) return undefined;
    throw refuseIfSymlink(err, path);
  }
  try {
    const j = JSON.parse(bytes.toString('utf8')) as AnyJournal;
    if (typeof j.committedLength !== 'number' || typeof j.ino !== 'number') throw new Error('shape');
    if (j.version === 2 && typeof j.gen === 'number' && Array.isArray(j.ancestors)) return j;
    if (j.version === 1 && typeof j.segments === 'object' && j.segments !== null) return j;
    throw new Error('version');
  } catch (cause) {
    throw new EfsinkError(IoErrorCode.journalCorrupt, `journal ${path} is not a valid journal`, { cause });
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
): Promise<AnyJournal | undefined> {
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

/**
 * Deletes heads older than `keepJournalsFrom` (never read again once a newer one is bound) and
 * claims older than `keepClaimsFrom`, so that the state folder's listing stays a few entries long.
 * A pruned claim number cannot be used again: `acquireLease` voids a claim below the highest.
 * Also deletes takeover copies of an inode that is no longer the output file (`currentIno`): a copy
 * abandoned when another takeover replaced its source can never be resumed or published (the
 * re-check before publishing refuses it), so it would only hold its bytes for good.
 */
export async function pruneState(
  stateDir: string,
  listing: StateListing,
  keepJournalsFrom: number,
  keepClaimsFrom: number,
  currentIno: number,
): Promise<void> {
  for (const c of listing.copies) {
    if (c.sourceIno !== currentIno) await fs.unlink(join(stateDir, c.name)).catch(() => {});
  }
  for (const epoch of listing.journalEpochs) {
    if (epoch < keepJournalsFrom) await fs.unlink(join(stateDir, journalName(epoch))).catch(() => {});
  }
  for (const epoch of listing.claimEpochs) {
    if (epoch < keepClaimsFrom) await fs.unlink(join(stateDir, claimName(epoch))).catch(() => {});
  }
}

/** True when `entry` of a batch of generation `gen` is committed in the lineage `head` describes. */
export function isCommitted(head: Journal, gen: number, entry: { offset: number; length: number }): boolean {
  const end = entry.offset + entry.length;
  if (gen === head.gen) return end <= head.committedLength;
  const ancestor = head.ancestors.find((a) => a.gen === gen);
  return ancestor !== undefined && end <= ancestor.length;
}

/**
 * Writes a batch record and links one marker per entry to it (`done/<name>`), replacing stale
 * markers. Returns when all of it is durable. Markers made before the batch's bytes are committed
 * are harmless: `isCommitted` ignores them until the head covers them.
 */
export async function writeBatch(
  stateDir: string,
  tmpDir: string,
  seq: number,
  record: BatchRecord,
  concurrency: number,
): Promise<void> {
  const doneDir = join(stateDir, DONE_DIR);
  const batchesDir = join(stateDir, BATCHES_DIR);
  // link and rename follow symlinks in the directory components (ADR 0014); checked once per process.
  await assertDir(doneDir);
  await assertDir(batchesDir);
  const tmp = await writeTemp(tmpDir, 'batch', Buffer.from(JSON.stringify(record)));
  try {
    await mapBounded(record.entries, concurrency, async (e) => {
      const marker = join(doneDir, e.name);
      try {
        await fs.link(tmp.path, marker);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A marker of a newer epoch: a newer claim exists and this holder was paused past its
        // check; replacing the marker could void a committed one (then a later redelivery would be
        // appended twice), so stop here.
        const existing = await readMarker(stateDir, e.name);
        if (existing !== undefined && existing.epoch > record.epoch) {
          throw new EfsinkError(
            IoErrorCode.fenced,
            `marker ${e.name} in ${stateDir} was written by epoch ${existing.epoch}, after this holder's ${record.epoch}`,
          );
        }
        // A marker of an earlier attempt that never became valid: replace it atomically.
        const aside = tempName(tmpDir, 'marker');
        await fs.link(tmp.path, aside);
        await fs.rename(aside, marker);
      }
    });
    await fs.rename(tmp.path, join(batchesDir, `${pad(record.epoch)}-${String(seq).padStart(6, '0')}.json`));
  } catch (err) {
    await fs.unlink(tmp.path).catch(() => {});
    throw err;
  }
  await fsyncDir(doneDir);
  await fsyncDir(batchesDir);
}

/**
 * The batch record a segment's marker links to, or undefined when it has none. Read through the
 * marker itself (one lookup when absent, the usual case).
 */
export async function readMarker(stateDir: string, name: string): Promise<BatchRecord | undefined> {
  let fh: FileHandle;
  const path = join(stateDir, DONE_DIR, name);
  try {
    // A marker says "already in the file": one read through a planted symlink could drop a unit.
    await assertDir(join(stateDir, DONE_DIR));
    fh = await fs.open(path, READ_NOFOLLOW);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw refuseIfSymlink(err, path);
  }
  try {
    return parseBatch(await fh.readFile());
  } finally {
    await fh.close();
  }
}

/** Whether segment `name` is already in the file `head` describes, per its marker. */
export async function isAssembled(stateDir: string, head: Journal, name: string): Promise<boolean> {
  const record = await readMarker(stateDir, name);
  const entry = record?.entries.find((e) => e.name === name);
  return record !== undefined && entry !== undefined && isCommitted(head, record.gen, entry);
}

/** Every batch record of the file (for backfill's coverage; O(history) by nature, never used by a pass). */
export async function* readBatches(stateDir: string): AsyncGenerator<BatchRecord> {
  let names: string[];
  try {
    await assertDir(join(stateDir, BATCHES_DIR));
    names = (await fs.readdir(join(stateDir, BATCHES_DIR))).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if (isGone(err)) return;
    throw err;
  }
  for (const n of names) {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(join(stateDir, BATCHES_DIR, n), { flag: READ_NOFOLLOW });
    } catch (err) {
      if (isGone(err)) continue;
      throw refuseIfSymlink(err, join(stateDir, BATCHES_DIR, n));
    }
    const record = parseBatch(bytes);
    if (record !== undefined) yield record;
  }
}

function parseBatch(bytes: Buffer): BatchRecord | undefined {
  try {
    const r = JSON.parse(bytes.toString('utf8')) as BatchRecord;
    if (r.version === 2 && typeof r.gen === 'number' && Array.isArray(r.entries)) return r;
  } catch {}
  return undefined; // torn by a crash before it was complete: its batch was never committed
}
