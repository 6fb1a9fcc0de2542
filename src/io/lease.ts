import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EfsinkError } from '../core/errors.js';
import { createExclusive, publishFile, tempName } from './durable-file.js';
import { IoErrorCode } from './errors.js';
import { fs } from './fs-port.js';

/**
 * The assembly lease of one output file (docs/adr/0002-assembly-lease-and-fencing.md).
 *
 * A lease file created with link(2) (exclusive on the NFS server), holding who holds it and until
 * when. It keeps two assemblers from working on one file at the same time in the normal case; it is
 * NOT what keeps the file correct when a holder is paused past its lease — that is the job of the
 * epoch claims and the inode-bound journal (see assemble-file.ts). A lease is broken when it has
 * expired (plus a clock-skew allowance) or, on the same machine, when its holder process is gone.
 */
export interface LeaseRecord {
  readonly token: string;
  readonly holder: string;
  readonly host: string;
  readonly bootId: string;
  readonly pid: number;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
}

export interface LeaseOptions {
  readonly leaseMs: number;
  /** Allowance for clock differences between NFS clients before an expired lease is broken. */
  readonly clockSkewMs: number;
  readonly holder: string;
  readonly now: () => number;
}

export type Acquired = { readonly lease: HeldLease; readonly broke: LeaseRecord | undefined };

const LEASE_FILE = 'lease';
/** Tokens of leases held by this process, to tell a live lease of ours from a dead one. */
const liveTokens = new Set<string>();

export class HeldLease {
  constructor(
    private readonly stateDir: string,
    private readonly tmpDir: string,
    private readonly opts: LeaseOptions,
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
    const current = await readLease(this.stateDir);
    if (current?.token !== this.record.token) throw this.lost(current);
    if (now >= this.record.expiresAtMs) throw this.lost(current);
    // The token changes on every renewal, so a breaker that read the old record cannot break this one.
    const next = {
      ...this.record,
      token: newToken(),
      acquiredAtMs: now,
      expiresAtMs: now + this.opts.leaseMs,
    };
    await publishFile(this.tmpDir, join(this.stateDir, LEASE_FILE), Buffer.from(JSON.stringify(next)));
    liveTokens.delete(this.record.token);
    liveTokens.add(next.token);
    this.record = next;
  }

  /** Throws ASSEMBLE_LEASE_LOST unless the lease file still holds our token (always reads it). */
  async verify(): Promise<void> {
    const current = await readLease(this.stateDir);
    if (current?.token !== this.record.token || this.opts.now() >= this.record.expiresAtMs)
      throw this.lost(current);
  }

  /** Removes the lease if it is still ours. */
  async release(): Promise<void> {
    liveTokens.delete(this.record.token);
    const current = await readLease(this.stateDir).catch(() => undefined);
    if (current?.token === this.record.token)
      await fs.unlink(join(this.stateDir, LEASE_FILE)).catch(() => {});
  }

  private lost(current: LeaseRecord | undefined): EfsinkError {
    return new EfsinkError(
      IoErrorCode.leaseLost,
      `assembly lease in ${this.stateDir} was lost (now held by ${current?.holder ?? 'nobody'})`,
    );
  }
}

/** Tries to take the lease; resolves to undefined when another live holder has it. */
export async function acquireLease(
  stateDir: string,
  tmpDir: string,
  opts: LeaseOptions,
): Promise<Acquired | undefined> {
  const path = join(stateDir, LEASE_FILE);
  const now = opts.now();
  const record: LeaseRecord = {
    token: newToken(),
    holder: opts.holder,
    host: hostname(),
    bootId: bootId(),
    pid: process.pid,
    acquiredAtMs: now,
    expiresAtMs: now + opts.leaseMs,
  };
  const bytes = Buffer.from(JSON.stringify(record));
  if (await createExclusive(tmpDir, path, bytes)) {
    return { lease: new HeldLease(stateDir, tmpDir, opts, record), broke: undefined };
  }
  const current = await readLease(stateDir);
  if (current === undefined) return undefined; // released between our attempts: next pass will get it
  if (!isBreakable(current, now, opts.clockSkewMs)) return undefined;
  // Break it: move it aside, then make sure what we moved is the record we judged dead.
  const aside = tempName(tmpDir, 'broken-lease');
  try {
    await fs.rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const moved = parseLease(await fs.readFile(aside).catch(() => Buffer.alloc(0)));
  if (moved?.token !== current.token) {
    // We took somebody's fresh lease: put it back (if the name is still free) and back off.
    await fs.link(aside, path).catch(() => {});
    await fs.unlink(aside).catch(() => {});
    return undefined;
  }
  await fs.unlink(aside).catch(() => {});
  if (!(await createExclusive(tmpDir, path, bytes))) return undefined;
  return { lease: new HeldLease(stateDir, tmpDir, opts, record), broke: current };
}

export async function readLease(stateDir: string): Promise<LeaseRecord | undefined> {
  try {
    return parseLease(await fs.readFile(join(stateDir, LEASE_FILE)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseLease(bytes: Buffer): LeaseRecord | undefined {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Partial<LeaseRecord>;
    if (typeof v.token === 'string' && typeof v.expiresAtMs === 'number') return v as LeaseRecord;
  } catch {}
  // An unreadable lease file is treated as an expired one with an unknown holder.
  return {
    token: `corrupt:${bytes.toString('hex').slice(0, 32)}`,
    holder: '?',
    host: '',
    bootId: '',
    pid: 0,
    acquiredAtMs: 0,
    expiresAtMs: 0,
  };
}

function isBreakable(lease: LeaseRecord, now: number, skewMs: number): boolean {
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
