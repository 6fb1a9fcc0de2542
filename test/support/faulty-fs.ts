import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { type FsPort, installFsPort, nameErrno, realFs } from '../../src/io/fs-port.js';

/**
 * A file system whose calls fail or are cut short at chosen points, in the style of sonic-boom's
 * tests (which replace `fs.write` to return short counts or EAGAIN at chosen calls). It wraps the
 * real functions of `src/io/fs-port.ts`, so everything not faulted happens on real files.
 *
 * Every call through the port (and through the file handles it opens: `fh.write`, `fh.sync`, …) is
 * a numbered *point*. A run with no fault records the points; a sweep then reruns the scenario once
 * per point and fault kind, with that one call faulted.
 */

/** What a faulted call does. */
export type FaultKind =
  /** Fails before doing anything, as the errno says. */
  | 'ENOSPC'
  | 'EDQUOT'
  | 'EIO'
  | 'ESTALE'
  /**
   * Does the call, then fails with ETIMEDOUT: an NFS soft mount whose reply was lost — the server
   * did the operation but the client reports a timeout (nfs(5), "soft"). The harder of the two
   * timeout cases (a timeout before the server acted is the same as EIO here).
   */
  | 'ETIMEDOUT'
  /** `fh.write` only: writes the first half and returns that count (write(2) may write less). */
  | 'short'
  /** `fh.write` only: writes the first half, then fails with ENOSPC (a disk filling up mid-write). */
  | 'torn';

export const ERRNO_FAULTS = ['ENOSPC', 'EDQUOT', 'EIO', 'ESTALE', 'ETIMEDOUT'] as const;
export const WRITE_FAULTS = ['short', 'torn'] as const;

export interface CallPoint {
  readonly index: number;
  /** Port function (`open`, `rename`, …) or file-handle method (`fh.write`, `fh.sync`, …). */
  readonly op: string;
  readonly path: string;
}

export interface Fault {
  /** Index of the call to fault, counted over every call since the FaultyFs was made. */
  readonly at: number;
  readonly kind: FaultKind;
}

const HANDLE_OPS = new Set(['write', 'read', 'sync', 'datasync', 'truncate', 'stat', 'close']);

/** An error shaped as Node reports it for a failed system call (Node 20 cannot name ESTALE/EDQUOT). */
export function errnoError(name: string, syscall: string, path: string): NodeJS.ErrnoException {
  const errno = -((constants.errno as Record<string, number>)[name] ?? 0);
  const code = getSystemErrorName(errno);
  const err = new Error(`${code}: injected fault, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  Object.assign(err, { errno, code, syscall, path });
  return err;
}

export class FaultyFs {
  readonly calls: CallPoint[] = [];
  /** Set once the fault fired (a fault point past the end of a run never fires). */
  fired: CallPoint | undefined;

  constructor(private readonly fault?: Fault) {}

  /** Installs this file system into the port; returns the function that restores the previous one. */
  install(): () => void {
    return installFsPort(this.port());
  }

  private next(op: string, path: string): { point: CallPoint; kind: FaultKind | undefined } {
    const point = { index: this.calls.length, op, path };
    this.calls.push(point);
    if (this.fault?.at !== point.index) return { point, kind: undefined };
    this.fired = point;
    return { point, kind: this.fault.kind };
  }

  private port(): FsPort {
    const port: Record<string, unknown> = {};
    for (const [op, real] of Object.entries(realFs) as [string, (...a: unknown[]) => Promise<unknown>][]) {
      port[op] = async (...args: unknown[]) => {
        const path = String(args[0]);
        const { kind } = this.next(op, path);
        if (kind === undefined || kind === 'short' || kind === 'torn') {
          const result = await real(...args);
          return op === 'open' ? this.wrapHandle(result as FileHandle, path) : result;
        }
        if (kind === 'ETIMEDOUT') {
          const result = await real(...args);
          // The reply (and handle) is lost: release it, as the server eventually would.
          if (op === 'open' || op === 'opendir') await (result as { close(): Promise<void> }).close();
          throw errnoError('ETIMEDOUT', op, path);
        }
        // The real port names errnos Node cannot (nameErrno); an injected one gets the same treatment.
        throw nameErrno(errnoError(kind, op, path));
      };
    }
    return port as unknown as FsPort;
  }

  private wrapHandle(fh: FileHandle, path: string): FileHandle {
    return new Proxy(fh, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof prop !== 'string' || !HANDLE_OPS.has(prop) || typeof value !== 'function') {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        const method = value as (...a: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          const { kind } = this.next(`fh.${prop}`, path);
          if (kind === undefined) return await method.apply(target, args);
          if (prop === 'write' && (kind === 'short' || kind === 'torn')) {
            const [buffer, offset, length, position] = args as [Uint8Array, number, number, number];
            const half = Math.floor(length / 2);
            const done =
              half > 0 ? await target.write(buffer, offset, half, position) : { bytesWritten: 0, buffer };
            if (kind === 'torn') throw errnoError('ENOSPC', 'write', path);
            return done;
          }
          if (kind === 'short' || kind === 'torn') return await method.apply(target, args); // not a write
          if (kind === 'ETIMEDOUT') {
            await method.apply(target, args);
            throw errnoError('ETIMEDOUT', prop, path);
          }
          if (prop === 'close') await method.apply(target, args); // the kernel releases the fd anyway
          throw errnoError(kind, prop, path);
        };
      },
    });
  }
}

/** The faults worth injecting at one recorded point. */
export function faultsFor(point: CallPoint): readonly FaultKind[] {
  return point.op === 'fh.write' ? [...ERRNO_FAULTS, ...WRITE_FAULTS] : ERRNO_FAULTS;
}

/**
 * Runs `scenario` once under a recording FaultyFs, then once per (point, fault kind) with that call
 * faulted, calling `check` after each faulted run. Returns the number of faulted runs whose fault
 * fired (the fault points covered).
 */
export async function sweepFaults(opts: {
  readonly scenario: (faulty: FaultyFs) => Promise<void>;
  /** Resets the files between runs. */
  readonly reset: () => Promise<void>;
  /** Called after each faulted run, with the port restored to the real file system. */
  readonly check: (fault: Fault, point: CallPoint, outcome: unknown) => Promise<void>;
  /**
   * 'all': every fault kind at every point. 'rotate': one kind per point, taking turns (every
   * point is faulted, every kind is used; a fraction of the runs, for the everyday test suite).
   */
  readonly kinds?: 'all' | 'rotate';
}): Promise<{ points: number; runs: number; fired: number }> {
  await opts.reset();
  const recorder = new FaultyFs();
  const restore = recorder.install();
  try {
    await opts.scenario(recorder);
  } finally {
    restore();
  }
  const points = recorder.calls;
  let runs = 0;
  let fired = 0;
  for (const point of points) {
    const all = faultsFor(point);
    const kinds = opts.kinds === 'rotate' ? [all[point.index % all.length] as FaultKind] : all;
    for (const kind of kinds) {
      await opts.reset();
      const fault = { at: point.index, kind };
      const faulty = new FaultyFs(fault);
      const undo = faulty.install();
      let outcome: unknown;
      try {
        await opts.scenario(faulty);
      } catch (err) {
        outcome = err;
      } finally {
        undo();
      }
      runs++;
      if (faulty.fired !== undefined) fired++;
      await opts.check(fault, faulty.fired ?? point, outcome);
    }
  }
  return { points: points.length, runs, fired };
}
