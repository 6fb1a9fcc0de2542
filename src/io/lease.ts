import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EfsinkError } from '../core/errors.js';
import { openDir, READ_NOFOLLOW, refuseIfSymlink } from './confine.js';
import { createExclusive, publishFile } from './durable-file.js';
import { IoErrorCode, isGone } from './errors.js';
import { fs } from './fs-port.js';
import { claimName, listState, type StateListing } from './journal.js';

/**
 * The assembly lease of one output file is its newest epoch claim (ADR 0013, amending ADR 0002).
 *
 * `claim-<N>` is created exclusively with link(2) (atomic on the NFS server) and holds who claimed
 * epoch N and until when. The claimant of the highest N holds the lease. Nothing is ever renamed
 * aside or unlinked to take or give back the lease — that is what let a paused releaser delete the
 * next holder's lease, and a third process slip into the gap of a break (issue 11 item 3):
 *  - taking: read claim N (the highest); if epoch N released its journal, or claim N was released,
 *    expired (plus a clock-skew allowance) or its process is gone, create claim N+1. Two contenders
 *    cannot both create N+1;
 *  - renewing: the holder rewrites its own claim (temp + rename; nobody else writes that name);
 *  - releasing: the holder rewrites its own claim with `released: true` (or its journal says so);
 *  - knowing it lost: claim N+1 exists.
 * The lease is still only liveness: a holder can be paused past any check. Safety comes from the
 * epoch claims and the inode-bound journal (see assemble-file.ts).
 */
export interface LeaseRecord {
  readonly token: string;
  readonly holder: string;
  readonly host: string;
  readonly bootId: string;
  readonly pid: number;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
  /** Set by the holder when it is done with its epoch. */
  readonly released?: boolean;
}

export interface LeaseOptions {
  readonly leaseMs: number;
  /** Allowance for clock differences between NFS clients before an expired lease is broken. */
  readonly clockSkewMs: number;
  readonly holder: string;
  readonly now: () => number;
  readonly onStep?: (step: string) => void | Promise<void>;
}

export type Acquired = {
  readonly lease: HeldLease;
  /** The epoch this pass claimed; never claimed by anyone else, ever. */
  readonly epoch: number;
  /** The claim this pass judged dead (its holder may be paused, not gone): a takeover is due. */
  readonly broke: LeaseRecord | undefined;
};

/** The lease file of efsink before ADR 0013; still respected while a holder of that version may run. */
const LEGACY_LEASE_FILE = 'lease';
/** Tokens of leases held by this process, to tell a live lease of ours from a dead one. */
const liveTokens = new Set<string>();

export class HeldLease {
  constructor(
    private readonly stateDir: string,
    private readonly tmpDir: string,
    private readonly opts: LeaseOptions,
    readonly epoch: number,
    private record: LeaseRecord,
  ) {
    liveTokens.add(record.token);
  }

  get token(): string {
    return this.record.token;
  }

  /**
   * Throws ASSEMBLE_LEASE_LOST unless the lease is still ours; renews it when half of it is used.
   * Called before every write batch. A check cannot make a later write safe (the process may be
   * paused right after it) — fencing does that — but it stops a holder that knows it is late.
   */
  async check(): Promise<void> {
    const now = this.opts.now();
    if (now < this.record.acquiredAtMs + this.opts.leaseMs / 2) return;
    await this.verify();
    const next = {
      ...this.record,
      token: newToken(),
      acquiredAtMs: now,
      expiresAtMs: now + this.opts.leaseMs,
    };
    await publishFile(
      this.tmpDir,
      join(this.stateDir, claimName(this.epoch)),
      Buffer.from(JSON.stringify(next)),
    );
    liveTokens.delete(this.record.token);
    liveTokens.add(next.token);
    this.record = next;
  }

  /** Throws ASSEMBLE_LEASE_LOST when a newer epoch was claimed or our lease ran out (always asks the server). */
  async verify(): Promise<void> {
    if (await claimExists(this.stateDir, this.epoch + 1)) {
      throw this.lost(`epoch ${this.epoch + 1} was claimed by another assembler`);
    }
    if (this.opts.now() >= this.record.expiresAtMs) throw this.lost('it expired');
  }

  /**
   * Gives the lease back. `journalReleased` says the epoch's journal already says so (then nothing
   * is written); otherwise the claim itself is rewritten as released. Never deletes anything.
   */
  async release(journalReleased: boolean): Promise<void> {
    liveTokens.delete(this.record.token);
    await this.opts.onStep?.('lease-releasing');
    if (journalReleased) return;
    const done = { ...this.record, released: true };
    await publishFile(
      this.tmpDir,
      join(this.stateDir, claimName(this.epoch)),
      Buffer.from(JSON.stringify(done)),
    );
  }

  private lost(why: string): EfsinkError {
    return new EfsinkError(
      IoErrorCode.leaseLost,
      `assembly lease (epoch ${this.epoch}) in ${this.stateDir} was lost: ${why}`,
    );
  }
}

/**
 * Tries to take the lease by claiming the next epoch; resolves to undefined when another live
 * holder has it. `isReleased(N)` tells whether epoch N's journal says it finished.
 */
export async function acquireLease(
  stateDir: string,
  tmpDir: string,
  opts: LeaseOptions,
  isReleased: (epoch: number) => Promise<boolean>,
): Promise<Acquired | undefined> {
  const now = opts.now();
  const legacy = await readRecord(join(stateDir, LEGACY_LEASE_FILE));
  if (legacy !== undefined && !isBreakable(legacy, now, opts.clockSkewMs)) return undefined;
  const listing = await listState(stateDir);
  const last = listing.maxClaim;
  let broke: LeaseRecord | undefined;
  if (last > 0 && !(await isReleased(last))) {
    const current = await readRecord(join(stateDir, claimName(last)));
    if (current?.released !== true) {
      // A claim of the previous format is an empty file: its holder is judged by the legacy lease.
      const judged = current ?? legacy ?? UNKNOWN_HOLDER;
      if (judged !== UNKNOWN_HOLDER && judged !== legacy && !isBreakable(judged, now, opts.clockSkewMs))
        return undefined;
      broke = judged;
    }
  }
  await opts.onStep?.('lease-judged');
  const epoch = last + 1;
  const record: LeaseRecord = {
    token: newToken(),
    holder: opts.holder,
    host: hostname(),
    bootId: bootId(),
    pid: process.pid,
    acquiredAtMs: now,
    expiresAtMs: now + opts.leaseMs,
  };
  if (!(await createExclusive(tmpDir, join(stateDir, claimName(epoch)), Buffer.from(JSON.stringify(record)))))
    return undefined; // another assembler claimed it first
  // A process paused between its listing and its claim could re-create a claim that was pruned
  // long ago; a newer claim then exists, and that claim is void.
  if ((await listState(stateDir)).maxClaim > epoch) return undefined;
  if (legacy !== undefined) await fs.unlink(join(stateDir, LEGACY_LEASE_FILE)).catch(() => {});
  return { lease: new HeldLease(stateDir, tmpDir, opts, epoch, record), epoch, broke };
}

/** The holder record of claim `epoch`, or undefined when the claim is missing or empty (older format). */
export async function readClaim(stateDir: string, epoch: number): Promise<LeaseRecord | undefined> {
  return readRecord(join(stateDir, claimName(epoch)));
}

async function readRecord(path: string): Promise<LeaseRecord | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(path, { flag: READ_NOFOLLOW });
  } catch (err) {
    if (isGone(err)) return undefined;
    throw refuseIfSymlink(err, path);
  }
  if (bytes.length === 0) return undefined;
  return parseLease(bytes);
}

/**
 * Whether claim `epoch` exists on the server now. The folder is opened first so that an NFS client
 * drops a cached "no such file" for it (ADR 0006).
 */
async function claimExists(stateDir: string, epoch: number): Promise<boolean> {
  await (await openDir(stateDir)).close(); // also refuses a symlink in any part (ADR 0014)
  const path = join(stateDir, claimName(epoch));
  try {
    await (await fs.open(path, READ_NOFOLLOW)).close();
    return true;
  } catch (err) {
    if (isGone(err)) return false;
    throw refuseIfSymlink(err, path);
  }
}

const UNKNOWN_HOLDER: LeaseRecord = {
  token: 'unknown',
  holder: '?',
  host: '',
  bootId: '',
  pid: 0,
  acquiredAtMs: 0,
  expiresAtMs: 0,
};

function parseLease(bytes: Buffer): LeaseRecord {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Partial<LeaseRecord>;
    if (typeof v.token === 'string' && typeof v.expiresAtMs === 'number') return v as LeaseRecord;
  } catch {}
  // An unreadable lease record is treated as an expired one with an unknown holder.
  return { ...UNKNOWN_HOLDER, token: `corrupt:${bytes.toString('hex').slice(0, 32)}` };
}

function isBreakable(lease: LeaseRecord, now: number, skewMs: number): boolean {
  if (lease.released === true) return true;
  if (now > lease.expiresAtMs + skewMs) return true;
  // Same machine, same boot: we can see whether the holder process still exists.
  if (lease.host === hostname() && lease.bootId === bootId() && lease.bootId !== '') {
    if (lease.pid === process.pid) return !liveTokens.has(lease.token);
    return !processExists(lease.pid);
  }
  return false;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let cachedBootId: string | undefined;
/** Linux's per-boot random id: tells two machines (or two Lambda sandboxes) with one hostname apart. */
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

function newToken(): string {
  return `${process.pid}.${randomBytes(8).toString('hex')}`;
}

export type { StateListing };
