import { dirname, join, relative } from 'node:path';
import { EfsinkError, isEfsinkError } from '../core/errors.js';
import { SEGMENT_SUFFIX } from '../core/write/plan-segments.js';
import {
  decodeSegmentHeader,
  SEGMENT_HEADER_PREFIX_BYTES,
  type SegmentHeader,
} from '../core/write/segment-file.js';
import type { SegmentMeta } from '../core/write/segment-meta.js';
import type { Logger } from '../observability/logger.js';
import { noteActivity } from './activity-index.js';
import {
  assertDir,
  ensureDir,
  isRootPath,
  openDir,
  READ_NOFOLLOW,
  refuseIfSymlink,
  registerRoot,
  UPDATE_NOFOLLOW,
  WRITE_CREATE_NOFOLLOW,
} from './confine.js';
import { fsyncDir, publishFile, renameCreatingDir, tempName, writeAll } from './durable-file.js';
import { IoErrorCode, isGone } from './errors.js';
import { type FileHandle, fs } from './fs-port.js';
import {
  type AnyJournal,
  BATCHES_DIR,
  type BatchEntry,
  currentJournal,
  DONE_DIR,
  isAssembled,
  type Journal,
  type JournalV1,
  listState,
  pruneState,
  readJournal,
  type StateListing,
  writeBatch,
  writeJournal,
} from './journal.js';
import type { RootLayout } from './layout.js';
import { acquireLease, type HeldLease } from './lease.js';
import { mapBounded } from './map-bounded.js';
import { ReadAhead, type Reserve } from './read-ahead.js';

export interface AssembleOptions {
  readonly layout: RootLayout;
  readonly leaseMs: number;
  readonly clockSkewMs: number;
  /** How long a retired (assembled) segment is kept under `.efsink/retired/` for repairs by hand; 0 deletes it at once. */
  readonly segmentRetentionMs: number;
  /** Bytes appended per write + fsync + journal commit. */
  readonly maxBatchBytes: number;
  readonly holder: string;
  readonly now: () => number;
  readonly log: Logger;
  /** Test hook: called (and awaited) at named points so crash tests can stop the process there. */
  readonly onStep?: (step: string) => void | Promise<void>;
  /** Bytes between recorded checkpoints of a takeover copy (default COPY_CHECKPOINT_BYTES; tests use less). */
  readonly copyCheckpointBytes?: number;
  /** Least time between two housekeeping runs of this process on this root (default HOUSEKEEPING_INTERVAL_MS; 0: every pass). */
  readonly housekeepingIntervalMs?: number;
  /**
   * A file with no write for longer than this loses its `done/` markers (ADR 0017); the default,
   * DEFAULT_SEAL_AFTER_MS (15 days), is past every source's redelivery window.
   */
  readonly sealAfterMs?: number;
}

/**
 * What a sealing pass does while it holds the file's lease (ADR 0017): called after the lease is
 * taken and the head read, before the pass releases. A sealing pass never writes the output file.
 */
export type SealHook = (held: { readonly stateDir: string; readonly lease: HeldLease }) => Promise<void>;

export interface FileReport {
  readonly relPath: string;
  readonly status: 'assembled' | 'busy' | 'idle';
  readonly appendedSegments: number;
  readonly appendedBytes: number;
  readonly duplicateSegments: number;
  /** Damaged segment files moved to `.efsink/quarantine/` instead of being appended (SEGMENT_INVALID). */
  readonly invalidSegments: readonly { readonly name: string; readonly message: string }[];
  /** Assembled segments moved out of the pending folder by this pass (to `.efsink/retired/`, or deleted at retention 0). */
  readonly deletedSegments: number;
  readonly tookOver: boolean;
}

/**
 * Calls in flight per pass for per-segment work: marker lookups and reads, marker links,
 * retirements. On EFS a metadata operation costs 1–3 ms and throughput comes from parallelism
 * (issue 10 item 2). Memory does not depend on it: the read-ahead is bounded in bytes (one batch).
 * 32 of the process's 64 pool threads (src/config/threadpool.ts), leaving the rest to landing
 * (`efsink serve` lands and assembles in one process). `npm run bench:latency` (bench/README.md).
 */
export const SEGMENT_CONCURRENCY = 32;
/** Segments looked up or read ahead of the appends, at most (their bytes are bounded separately). */
const READ_WINDOW = 4 * SEGMENT_CONCURRENCY;
/** Claims older than this many epochs are pruned; the state folder's listing stays this short. */
const CLAIMS_KEPT = 8;
/** Width of one folder of retired segments; whole folders are removed once past the retention. */
export const RETIRED_BUCKET_MS = 60_000;

type Report = {
  relPath: string;
  appendedSegments: number;
  appendedBytes: number;
  duplicateSegments: number;
  invalidSegments: { name: string; message: string }[];
  deletedSegments: number;
  tookOver: boolean;
};

/**
 * One assembly pass over one output file (ADR 0002 as amended by ADR 0013):
 *  1. take the lease by claiming the next epoch (exclusive create of `claim-N`, never reused);
 *  2. find the head bound to the output file's inode (upgrading a v1 journal in place);
 *  3. reuse the inode only as the clean successor of the epoch just before; otherwise copy the
 *     committed prefix to a new inode (a new generation) and publish it by rename, unless a newer
 *     epoch was claimed meanwhile: whoever held the old inode can only write to a file nobody reads;
 *  4. for each pending segment (the pending folder holds only unassembled ones): a valid marker
 *     means a duplicate; else read it (bounded concurrency) and, batch by batch, write the batch
 *     record and its markers, append, fsync, commit the head;
 *  5. retire what was committed out of the pending folder, after asking that no newer epoch exists;
 *  6. mark the head released.
 * Nothing in it reads or writes anything proportional to the hour's history.
 */
export async function assembleFile(
  opts: AssembleOptions,
  relPath: string,
  seal?: SealHook,
): Promise<FileReport> {
  const { layout, log } = opts;
  registerRoot(layout.root, layout.segments);
  const step = opts.onStep ?? (() => {});
  const segDir = join(layout.segments, relPath);
  const stateDir = join(layout.state, relPath);
  const outPath = join(layout.root, relPath);
  const report: Report = {
    relPath,
    appendedSegments: 0,
    appendedBytes: 0,
    duplicateSegments: 0,
    invalidSegments: [],
    deletedSegments: 0,
    tookOver: false,
  };

  const names = await listSegments(segDir);
  // A sealing pass (ADR 0017) works only on a file with nothing pending; a normal one only on one with.
  if ((names.length === 0) !== (seal !== undefined)) return { ...report, status: 'idle' };
  if (seal === undefined) await noteActivity(layout, relPath, opts.now(), log);

  // One after another: siblings created at once race on their missing parents, and the number of
  // calls a pass makes would differ from run to run (the fault sweep, src/io/faults.test.ts, numbers
  // them). Once created, each is one lstat.
  await ensureDir(join(stateDir, DONE_DIR));
  await ensureDir(join(stateDir, BATCHES_DIR));
  await ensureDir(layout.tmp);
  const acquired = await acquireLease(stateDir, layout.tmp, opts, async (epoch) => {
    return (await readJournal(stateDir, epoch))?.released === true;
  });
  if (acquired === undefined) return { ...report, status: 'busy' };
  const { lease, epoch } = acquired;
  let journalReleased = false;
  await step('lease-acquired');
  await step('epoch-claimed');
  try {
    const listing = await listState(stateDir);
    const outIno = await inodeOf(outPath);
    const previous = await currentJournal(stateDir, outIno, listing);
    if (outIno !== undefined && previous === undefined) {
      throw new EfsinkError(
        IoErrorCode.outputNotOurs,
        `${outPath} exists but no efsink journal describes it; move it away or it would be overwritten`,
      );
    }
    if (outIno === undefined && listing.journalEpochs.length > 0)
      await assertNothingCommitted(stateDir, listing);

    const batches = new BatchCounter();
    const base: Journal =
      previous === undefined
        ? { version: 2, epoch: 0, ino: 0, gen: 0, committedLength: 0, released: true, ancestors: [] }
        : previous.version === 1
          ? await upgradeJournal(opts, stateDir, previous, epoch, batches)
          : previous;
    // The inode is reused only when the epoch just before ours finished cleanly on it: then no
    // other writer can hold it. Any other history — a broken claim, an epoch that never wrote or
    // never released its journal — means someone may still write to it, so we fence them off
    // with a copy (issue 11 item 3: a clean successor must never share an inode with a live writer).
    let takeOver =
      acquired.broke !== undefined || !base.released || outIno === undefined || base.epoch !== epoch - 1;
    if (!takeOver) {
      const size = await sizeOf(outPath, base.ino);
      if (size < base.committedLength) throw outputShorter(outPath, size, base.committedLength);
      // Bytes past the committed length on a released file were written by no efsink pass of this
      // lineage (one crashed mid-batch would have left its journal open): copy, never truncate in place.
      if (size > base.committedLength) takeOver = true;
    }
    if (seal !== undefined) {
      // Sealing never writes the output file, so it never copies it: when a takeover is due (a
      // crashed or broken epoch), it stays due for the next pass that appends, exactly as it would
      // have without the seal, and this epoch gives its claim back without a head. Otherwise it
      // leaves a released head bound to the same inode, so the next pass reuses it (ADR 0013 §2),
      // even when the seal failed midway: it wrote nothing another writer could have torn.
      try {
        await seal({ stateDir, lease });
      } finally {
        if (!takeOver) {
          await writeJournal(stateDir, layout.tmp, { ...base, epoch, released: true });
          journalReleased = true;
        }
      }
      if (takeOver) return { ...report, status: 'assembled' };
      await step('released');
      await pruneState(stateDir, await listState(stateDir), epoch - 1, epoch - CLAIMS_KEPT, base.ino);
      return { ...report, status: 'assembled' };
    }
    let journal: Journal;
    if (takeOver) {
      journal = await publishCopy(opts, outPath, stateDir, base, epoch, lease);
      report.tookOver = outIno !== undefined;
      if (report.tookOver)
        log.warn(
          { relPath, epoch, previousEpoch: base.epoch },
          'took over output file: copied committed prefix to a new inode',
        );
    } else {
      journal = { ...base, epoch, released: false };
      await writeJournal(stateDir, layout.tmp, journal);
    }
    await step('journal-opened');
    // Markers other clients created must not hide behind a cached "no such file" (ADR 0006).
    await (await openDir(join(stateDir, DONE_DIR))).close();

    const fh = await fs.open(outPath, UPDATE_NOFOLLOW).catch((err: unknown) => {
      throw refuseIfSymlink(err, outPath);
    });
    try {
      const st = await fh.stat();
      if (st.ino !== journal.ino) {
        throw new EfsinkError(
          IoErrorCode.fenced,
          `${outPath} was replaced by another assembler (inode ${st.ino}, journal ${journal.ino})`,
        );
      }
      if (st.size !== journal.committedLength) {
        // Changed by someone else since we looked (efsink never writes a file it has not claimed).
        if (st.size < journal.committedLength) throw outputShorter(outPath, st.size, journal.committedLength);
        throw new EfsinkError(
          IoErrorCode.fenced,
          `${outPath} grew to ${st.size} bytes past its committed length ${journal.committedLength} while this pass held it`,
        );
      }
      journal = await appendPending(
        { opts, fh, stateDir, segDir, outPath, lease, report, batches },
        names,
        journal,
      );
    } finally {
      await fh.close();
    }

    journal = { ...journal, released: true };
    await writeJournal(stateDir, layout.tmp, journal);
    journalReleased = true;
    await step('released');
    await pruneState(stateDir, await listState(stateDir), epoch - 1, epoch - CLAIMS_KEPT, journal.ino);
    return { ...report, status: 'assembled' };
  } finally {
    await lease.release(journalReleased);
  }
}

class BatchCounter {
  private n = 0;
  next(): number {
    return this.n++;
  }
}

interface PassContext {
  readonly opts: AssembleOptions;
  readonly fh: FileHandle;
  readonly stateDir: string;
  readonly segDir: string;
  readonly outPath: string;
  readonly lease: HeldLease;
  readonly report: Report;
  readonly batches: BatchCounter;
}

type Loaded =
  | { readonly kind: 'duplicate' | 'gone' | 'invalid'; readonly name: string }
  | {
      readonly kind: 'segment';
      readonly name: string;
      readonly body: Buffer;
      readonly meta: SegmentMeta | undefined;
    };

/**
 * Appends the pending segments in name order. Segments are looked up and read ahead of the appends
 * (ReadAhead: SEGMENT_CONCURRENCY at a time, at most one batch of bytes waiting), so reading the
 * next batch overlaps with committing this one; a committed batch's segments are retired in the
 * background while the pass goes on, and every retirement has finished before this returns.
 */
async function appendPending(ctx: PassContext, names: readonly string[], start: Journal): Promise<Journal> {
  const { opts, report } = ctx;
  let journal = start;
  let chunks: { name: string; body: Buffer; meta: SegmentMeta | undefined }[] = [];
  let batchBytes = 0;
  const duplicates: string[] = [];
  const retiring: Promise<void>[] = [];
  const flush = async (): Promise<void> => {
    if (chunks.length === 0) return;
    journal = await commitBatch(ctx, journal, chunks);
    const committed = retire(
      ctx,
      chunks.map((c) => c.name),
    );
    committed.catch(() => {}); // its error is collected below, once the pass's own work is over
    retiring.push(committed);
    chunks = [];
    batchBytes = 0;
  };
  const reader = new ReadAhead(
    names,
    { concurrency: SEGMENT_CONCURRENCY, window: READ_WINDOW, budgetBytes: opts.maxBatchBytes },
    (name, reserve) => loadSegment(ctx, start, name, reserve),
  );
  let passError: { readonly err: unknown } | undefined;
  try {
    for (let l = await reader.next(); l !== undefined; l = await reader.next()) {
      // Gone since the listing: another holder retired it (then this one is being fenced), or ESTALE
      // was transient. Appending the segments after it would put them before it in the file (found
      // by the fault sweep, src/io/faults.test.ts): stop here; the next pass lists again.
      if (l.kind === 'gone') break;
      if (l.kind === 'duplicate') {
        report.duplicateSegments++;
        duplicates.push(l.name);
      } else if (l.kind === 'segment') {
        chunks.push(l);
        batchBytes += l.body.length;
        if (batchBytes >= opts.maxBatchBytes) await flush();
      }
    }
    await flush();
  } catch (err) {
    passError = { err };
  }
  // Nothing may keep running after the pass (its lease is released next).
  await reader.close();
  const retireFailure = (await Promise.allSettled(retiring)).find((r) => r.status === 'rejected');
  // The pass's own error wins; else a failed retirement fails the pass (its segments stay pending,
  // and the next pass retires them as duplicates).
  if (passError !== undefined) throw passError.err;
  if (retireFailure !== undefined) throw retireFailure.reason;
  // A duplicate is a segment this lineage already holds (a redelivery, or a pass that crashed
  // after its commit and before retiring): it leaves the pending folder the same way.
  await retire(ctx, duplicates);
  return journal;
}

async function loadSegment(ctx: PassContext, head: Journal, name: string, reserve: Reserve): Promise<Loaded> {
  if (await isAssembled(ctx.stateDir, head, name)) return { kind: 'duplicate', name };
  const path = join(ctx.segDir, name);
  let fh: FileHandle;
  try {
    fh = await fs.open(path, READ_NOFOLLOW);
  } catch (err) {
    if (isGone(err)) return { kind: 'gone', name }; // retired by a pass whose claim preceded ours
    throw refuseIfSymlink(err, path);
  }
  let file: Buffer;
  try {
    // The size first (on NFS the OPEN's reply carries the attributes, so no extra round trip), so
    // that the read-ahead's memory is bounded in bytes before the body is read. A landed segment
    // never changes (temp + fsync + rename), so its size is its length.
    const { size } = await fh.stat();
    await reserve(size);
    file = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(file, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    file = file.subarray(0, at);
  } finally {
    await fh.close();
  }
  let header: SegmentHeader;
  try {
    header = decodeSegmentHeader(file);
  } catch (err) {
    if (!isEfsinkError(err)) throw err;
    // Landing never publishes such a file (temp + fsync + rename), so this is a copy made by
    // hand or a storage fault. Moved aside, so that it neither blocks the good segments nor is
    // appended; the pass reports it (the CLI and the assemble Lambda fail on it).
    await quarantine(ctx.opts.layout, ctx.segDir, name);
    ctx.report.invalidSegments.push({ name, message: err.message });
    ctx.opts.log.error(
      { segment: join(ctx.segDir, name), code: err.code, err: err.message },
      'segment quarantined',
    );
    return { kind: 'invalid', name };
  }
  return { kind: 'segment', name, body: file.subarray(header.bodyOffset), meta: header.meta };
}

/** Batch record + markers, one write, fsync, head commit (ADR 0013 §5). */
async function commitBatch(
  ctx: PassContext,
  start: Journal,
  chunks: readonly { name: string; body: Buffer; meta: SegmentMeta | undefined }[],
): Promise<Journal> {
  const { opts, fh, stateDir, lease, report } = ctx;
  const step = opts.onStep ?? (() => {});
  const committedAtMs = opts.now();
  let offset = start.committedLength;
  const entries: BatchEntry[] = chunks.map((c) => {
    const e = {
      name: c.name,
      offset,
      length: c.body.length,
      committedAtMs,
      ...(c.meta ? { meta: c.meta } : {}),
    };
    offset += c.body.length;
    return e;
  });
  await lease.check();
  await writeBatch(
    stateDir,
    opts.layout.tmp,
    ctx.batches.next(),
    { version: 2, gen: start.gen, epoch: start.epoch, entries },
    SEGMENT_CONCURRENCY,
  );
  await step('marked');
  await step('before-append');
  const bytes =
    chunks.length === 1 ? (chunks[0] as { body: Buffer }).body : Buffer.concat(chunks.map((c) => c.body));
  const journal = { ...start, committedLength: offset };
  try {
    await writeAll(fh, bytes, start.committedLength);
    await step('appended');
    await fh.sync();
    await step('synced');
    // A holder paused between its write and here may have been taken over: its bytes went to an
    // inode nobody reads (harmless), but committing and reporting success would be a lie (found by
    // the NFS suite, test/nfs/FINDINGS.md F1). Not a guarantee — the pause can come after this check —
    // only an honest report in the common case; safety comes from the inode binding.
    await assertStillCurrent(ctx.outPath, start.ino, lease);
    await writeJournal(stateDir, opts.layout.tmp, journal);
  } catch (err) {
    await rollBackUncommitted(fh, stateDir, start.epoch, start.committedLength);
    throw err;
  }
  await step('committed');
  report.appendedSegments += chunks.length;
  report.appendedBytes += bytes.length;
  return journal;
}

/**
 * After a failed batch (ENOSPC, EIO, a torn or timed-out write, a failed commit), cuts the bytes
 * the head does not hold off the output file again, so that readers never see uncommitted bytes.
 * The commit itself may have happened although it reported a failure (ETIMEDOUT on an NFS soft
 * mount: the server renamed the head, the reply was lost), so the head is read back first and the
 * file is cut only to the length it says. Only this epoch's own uncommitted bytes, on the inode it
 * holds, are cut; best effort: the next pass takes over anyway, since this epoch never released
 * (found by the fault sweep, src/io/faults.test.ts; ADR 0009).
 */
async function rollBackUncommitted(
  fh: FileHandle,
  stateDir: string,
  epoch: number,
  committed: number,
): Promise<void> {
  try {
    const onDisk = await readJournal(stateDir, epoch);
    if (onDisk?.committedLength !== committed) return;
    await fh.truncate(committed);
    await fh.sync();
  } catch {}
}

/**
 * Moves committed segments out of the pending folder. First asks the server that no newer epoch
 * was claimed: a pass that claims after this check reads a head that already holds these commits,
 * so a retired segment is in every later lineage (ADR 0013 §5; no timing involved).
 */
async function retire(ctx: PassContext, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const { opts, segDir } = ctx;
  await ctx.lease.verify();
  const retention = opts.segmentRetentionMs;
  const bucket = String(Math.floor(opts.now() / RETIRED_BUCKET_MS) * RETIRED_BUCKET_MS).padStart(15, '0');
  const rel = relative(opts.layout.segments, segDir);
  await mapBounded(names, SEGMENT_CONCURRENCY, async (name) => {
    const from = join(segDir, name);
    try {
      if (retention <= 0) await fs.unlink(from);
      else await renameCreatingDir(from, join(opts.layout.retired, bucket, rel, name));
      ctx.report.deletedSegments++;
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  });
  await (opts.onStep ?? (() => {}))('retired');
}

/**
 * Removes whole folders of retired segments once they are older than the retention: one listing of
 * `.efsink/retired/` (one folder per minute of the retention) per pass, whatever the history.
 */
export async function pruneRetired(layout: RootLayout, now: number, retentionMs: number): Promise<number> {
  let buckets: string[];
  try {
    await assertDir(layout.retired); // readdir and rm follow symlinks (ADR 0014)
    buckets = await fs.readdir(layout.retired);
  } catch (err) {
    if (isGone(err)) return 0;
    throw err;
  }
  let removed = 0;
  for (const b of buckets) {
    const startMs = Number(b);
    if (!Number.isFinite(startMs) || startMs + RETIRED_BUCKET_MS + retentionMs > now) continue;
    await fs.rm(join(layout.retired, b), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * Converts a journal of the format before ADR 0013 (every segment inline) into batch records and
 * markers of generation `v1.epoch`, once; returns it as a v2 head. A crash midway redoes it.
 */
async function upgradeJournal(
  opts: AssembleOptions,
  stateDir: string,
  v1: JournalV1,
  epoch: number,
  batches: BatchCounter,
): Promise<Journal> {
  const all = Object.entries(v1.segments).map(([name, e]) => ({ name, ...e }));
  const PER_RECORD = 1000;
  for (let i = 0; i < all.length; i += PER_RECORD) {
    await writeBatch(
      stateDir,
      opts.layout.tmp,
      batches.next(),
      { version: 2, gen: v1.epoch, epoch, entries: all.slice(i, i + PER_RECORD) },
      SEGMENT_CONCURRENCY,
    );
  }
  opts.log.warn({ stateDir, segments: all.length }, 'upgraded a v1 journal to batch records and markers');
  await opts.onStep?.('upgraded');
  return {
    version: 2,
    epoch: v1.epoch,
    ino: v1.ino,
    gen: v1.epoch,
    committedLength: v1.committedLength,
    released: v1.released,
    ancestors: [],
  };
}

/**
 * Creates the output file's next inode (generation `epoch`): a copy of the committed prefix. The
 * head naming the new inode is written before the rename, so whichever of the two is current has
 * a head.
 */
async function publishCopy(
  opts: AssembleOptions,
  outPath: string,
  stateDir: string,
  base: Journal,
  epoch: number,
  lease: HeldLease,
): Promise<Journal> {
  const sourceIno = await inodeOf(outPath);
  let tmp: string;
  let ino: number;
  if (sourceIno !== undefined) {
    ({ path: tmp, ino } = await copyPrefix(opts, outPath, stateDir, base, sourceIno));
  } else {
    tmp = tempName(opts.layout.tmp, 'output');
    const fh = await fs.open(tmp, 'wx', 0o644);
    try {
      await fh.sync();
      ino = (await fh.stat()).ino;
    } finally {
      await fh.close();
    }
  }
  const journal: Journal = {
    version: 2,
    epoch,
    ino,
    gen: epoch,
    committedLength: base.committedLength,
    released: false,
    ancestors:
      base.committedLength > 0 ? [...base.ancestors, { gen: base.gen, length: base.committedLength }] : [],
  };
  await writeJournal(stateDir, opts.layout.tmp, journal);
  await opts.onStep?.('copy-journaled');
  // A copy is a snapshot of the past: publishing it after someone else moved on (a newer epoch was
  // claimed, or the file was replaced) would roll the file back to segments already retired
  // (issue 11 item 3). Both are asked of the server right before the rename; what remains is a
  // pause between these two reads and the rename itself (ADR 0013, "What is left to timing").
  try {
    await lease.verify();
    const nowIno = await inodeOf(outPath);
    if (nowIno !== sourceIno) {
      throw new EfsinkError(
        IoErrorCode.fenced,
        `${outPath} was replaced while this pass copied it (inode ${sourceIno ?? 'none'} → ${nowIno ?? 'none'}); nothing was published`,
      );
    }
  } catch (err) {
    // A part copied from an existing file is kept: whoever takes over next resumes it.
    if (sourceIno === undefined) await fs.unlink(tmp).catch(() => {});
    throw err;
  }
  await renameCreatingDir(tmp, outPath);
  await fsyncDir(dirname(outPath));
  if (sourceIno !== undefined) await fs.unlink(progressPath(stateDir, base.gen, sourceIno)).catch(() => {});
  return journal;
}

/** Bytes copied between two recorded checkpoints of a takeover copy (fsync + progress file). */
export const COPY_CHECKPOINT_BYTES = 64 * 1024 * 1024;
const COPY_CHUNK_BYTES = 8 * 1024 * 1024;

function progressPath(stateDir: string, gen: number, ino: number): string {
  return join(stateDir, `copy-${gen}-${ino}.progress`);
}

/**
 * Copies the committed prefix of the output file (generation `base.gen`, inode `sourceIno`) into
 * `copy-<gen>-<ino>.part` in the state folder, resuming where an earlier, interrupted takeover of
 * the same source left off (issue 10 item 4: a Lambda that times out mid-copy must not start again
 * from 0 forever). Progress is recorded only after an fsync, every COPY_CHECKPOINT_BYTES; the
 * committed prefix of a generation never changes, so bytes copied by any earlier attempt are the
 * same bytes. Never truncates below what it copied except to the exact committed length at the end.
 */
async function copyPrefix(
  opts: AssembleOptions,
  outPath: string,
  stateDir: string,
  base: Journal,
  sourceIno: number,
): Promise<{ path: string; ino: number }> {
  const part = join(stateDir, `copy-${base.gen}-${sourceIno}.part`);
  const progress = progressPath(stateDir, base.gen, sourceIno);
  const checkpoint = opts.copyCheckpointBytes ?? COPY_CHECKPOINT_BYTES;
  let copied = 0;
  try {
    const recorded = JSON.parse(await fs.readFile(progress, { encoding: 'utf8', flag: READ_NOFOLLOW })) as {
      copied?: unknown;
    };
    if (typeof recorded.copied === 'number' && recorded.copied <= base.committedLength)
      copied = recorded.copied;
  } catch {}
  const src = await fs.open(outPath, READ_NOFOLLOW).catch((err: unknown) => {
    throw refuseIfSymlink(err, outPath);
  });
  try {
    const st = await src.stat();
    if (st.ino !== sourceIno) {
      throw new EfsinkError(IoErrorCode.fenced, `${outPath} was replaced while this pass began its copy`);
    }
    if (st.size < base.committedLength) throw outputShorter(outPath, st.size, base.committedLength);
    const dst = await fs
      .open(part, copied > 0 ? UPDATE_NOFOLLOW : WRITE_CREATE_NOFOLLOW, 0o644)
      .catch(async (err) => {
        if (!isGone(err)) throw refuseIfSymlink(err, part);
        copied = 0; // the progress file outlived its part (removed by hand): start over
        return fs.open(part, WRITE_CREATE_NOFOLLOW, 0o644);
      })
      .catch((err: unknown) => {
        throw refuseIfSymlink(err, part);
      });
    try {
      if (copied > 0)
        opts.log.warn({ part, copied, of: base.committedLength }, 'resuming an interrupted takeover copy');
      const buf = Buffer.allocUnsafe(
        Math.max(1, Math.min(COPY_CHUNK_BYTES, checkpoint, base.committedLength)),
      );
      let sinceCheckpoint = 0;
      while (copied < base.committedLength) {
        const want = Math.min(buf.length, base.committedLength - copied);
        const { bytesRead } = await src.read(buf, 0, want, copied);
        if (bytesRead <= 0) throw outputShorter(outPath, copied, base.committedLength);
        await writeAll(dst, buf.subarray(0, bytesRead), copied);
        copied += bytesRead;
        sinceCheckpoint += bytesRead;
        if (sinceCheckpoint >= checkpoint && copied < base.committedLength) {
          await dst.sync();
          await publishFile(opts.layout.tmp, progress, Buffer.from(JSON.stringify({ copied })));
          sinceCheckpoint = 0;
          await opts.onStep?.('copy-progress');
        }
      }
      await dst.truncate(base.committedLength);
      await dst.sync();
      return { path: part, ino: (await dst.stat()).ino };
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

function outputShorter(outPath: string, size: number, committed: number): EfsinkError {
  return new EfsinkError(
    IoErrorCode.outputMissing,
    `${outPath} is shorter (${size} bytes) than its committed length ${committed}: someone truncated it; efsink will not write past a hole`,
  );
}

/** The size of `path`, which must be inode `ino` (else ASSEMBLE_FENCED), read through an open handle. */
async function sizeOf(path: string, ino: number): Promise<number> {
  const fh = await fs.open(path, READ_NOFOLLOW).catch((err: unknown) => {
    throw refuseIfSymlink(err, path);
  });
  try {
    const st = await fh.stat();
    if (st.ino !== ino) {
      throw new EfsinkError(
        IoErrorCode.fenced,
        `${path} was replaced by another assembler (inode ${st.ino}, journal ${ino})`,
      );
    }
    return st.size;
  } finally {
    await fh.close();
  }
}

async function assertStillCurrent(outPath: string, ino: number, lease: HeldLease): Promise<void> {
  const current = await inodeOf(outPath);
  if (current !== ino) {
    throw new EfsinkError(
      IoErrorCode.fenced,
      `${outPath} was taken over by another assembler while this one was writing (inode ${ino} → ${current}); nothing was committed`,
    );
  }
  await lease.verify();
}

async function assertNothingCommitted(stateDir: string, listing: StateListing): Promise<void> {
  for (const epoch of listing.journalEpochs) {
    const j: AnyJournal | undefined = await readJournal(stateDir, epoch);
    if (j !== undefined && j.committedLength > 0) {
      throw new EfsinkError(
        IoErrorCode.outputMissing,
        `output file for ${stateDir} is missing but its journal (epoch ${epoch}) has ${j.committedLength} committed bytes; restore it (its assembled segments are under .efsink/retired/ for the retention)`,
      );
    }
  }
}

/**
 * A pending segment's header (ADR 0007), read from the start of the file only; undefined when the
 * segment is gone (assembled and pruned meanwhile). Throws SEGMENT_INVALID for a damaged file.
 */
export async function readSegmentHeader(segDir: string, name: string): Promise<SegmentHeader | undefined> {
  let fh: FileHandle;
  try {
    fh = await fs.open(join(segDir, name), READ_NOFOLLOW);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw refuseIfSymlink(err, join(segDir, name));
  }
  try {
    const { size } = await fh.stat();
    const prefix = Buffer.alloc(Math.min(size, SEGMENT_HEADER_PREFIX_BYTES));
    const { bytesRead } = await fh.read(prefix, 0, prefix.length, 0);
    return decodeSegmentHeader(prefix.subarray(0, bytesRead), size);
  } finally {
    await fh.close();
  }
}

/** Moves a damaged segment out of the way, to `<root>/.efsink/quarantine/<relPath>/<name>`. */
async function quarantine(layout: RootLayout, segDir: string, name: string): Promise<void> {
  const rel = relative(layout.segments, segDir);
  await renameCreatingDir(join(segDir, name), join(layout.quarantine, rel, name)).catch((err) => {
    if (!isGone(err)) throw err; // another holder moved it first
  });
}

export async function listSegments(segDir: string): Promise<string[]> {
  try {
    await assertDir(segDir); // readdir follows symlinks (ADR 0014)
    return (await fs.readdir(segDir)).filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort();
  } catch (err) {
    if (isGone(err)) return [];
    throw err;
  }
}

/**
 * The inode number `path` names right now on the server, or undefined when it does not exist.
 *
 * Not `stat(path)`: on NFS, stat answers from the client's dentry cache, which may still hold
 * "no such file" (or the previous inode) for a name another client has since created or replaced
 * by rename; Linux keeps such entries until the directory's attributes are revalidated (acdirmin
 * 30 s by default; Lambda mounts EFS with the defaults). Measured in `npm run test:nfs` scenario a:
 * a pass saw the output file as missing while its journal, read fresh, had committed bytes
 * (ADR 0006). Opening the parent directory forces close-to-open revalidation of its attributes, so
 * a changed directory invalidates the stale entries; opening the file then binds the name on the
 * server (NFSv4 OPEN by name) and fstat reads the inode it opened.
 */
export async function inodeOf(path: string): Promise<number | undefined> {
  try {
    // Also refuses a symlink in any part (ADR 0014).
    if (!(await openDirRevalidated(dirname(path)))) return undefined;
    const fh = await fs.open(path, READ_NOFOLLOW).catch((err: unknown) => {
      throw refuseIfSymlink(err, path);
    });
    try {
      return (await fh.stat()).ino;
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Opens directory `dir` (so that the NFS client revalidates it, ADR 0006); false when it does not
 * exist. A "no such directory" may itself be a cached negative entry of its parent (another client
 * created the hour's folder after this one last looked, seen on the NFS lab as a false
 * ASSEMBLE_OUTPUT_MISSING): then the parent is opened the same way and the directory asked again, up
 * to the first ancestor that exists. Costs one OPEN when the directory exists (the usual case).
 */
async function openDirRevalidated(dir: string): Promise<boolean> {
  if (await dirOpens(dir)) return true;
  const up = dirname(dir);
  if (up === dir || !(await openDirRevalidated(up))) return false;
  return dirOpens(dir);
}

async function dirOpens(dir: string): Promise<boolean> {
  try {
    // The root itself is the operator's (ADR 0014); under it, no component may be a symlink.
    await (isRootPath(dir) ? await fs.open(dir, 'r') : await openDir(dir)).close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
