import { describe, expect, it } from 'vitest';
import { EfsinkError } from '../core/errors.js';
import { accessKeys } from './auth.js';
import { codeOf, respond, statusOfCode } from './protocol.js';
import { createSemaphore } from './semaphore.js';

describe('respond', () => {
  it('answers 200 with exactly {requestId, timestamp}', () => {
    const r = respond('abc', 1754488800000);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('{"requestId":"abc","timestamp":1754488800000}');
  });

  it.each([
    ['RECEIVER_UNAUTHORIZED', 401],
    ['FIREHOSE_INVALID_REQUEST', 400],
    ['DECODE_INVALID_BASE64', 400],
    ['DECODE_TOO_LARGE', 413],
    ['RECEIVER_BODY_TOO_LARGE', 413],
    ['RECEIVER_OVERLOADED', 503],
    ['RECEIVER_SHUTTING_DOWN', 503],
    ['RECEIVER_WRITE_FAILED', 500],
    ['FS_ENOSPC', 500],
    ['INTERNAL', 500],
  ])('maps %s to %i', (code, status) => {
    expect(statusOfCode(code)).toBe(status);
    const r = respond('id', 1, { code, message: 'why' });
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body.toString())).toEqual({
      requestId: 'id',
      timestamp: 1,
      errorMessage: `${code}: why`,
    });
  });

  it('truncates errorMessage to the 8192 characters Firehose reads', () => {
    const r = respond('id', 1, { code: 'X', message: 'y'.repeat(10_000) });
    expect((JSON.parse(r.body.toString()) as { errorMessage: string }).errorMessage).toHaveLength(8192);
  });

  it('derives codes from efsink errors, errno errors and anything else', () => {
    expect(codeOf(new EfsinkError('DECODE_INVALID_JSON', 'x'))).toBe('DECODE_INVALID_JSON');
    expect(codeOf(Object.assign(new Error('x'), { code: 'EIO' }))).toBe('FS_EIO');
    expect(codeOf(new Error('x'))).toBe('INTERNAL');
    expect(codeOf(null)).toBe('INTERNAL');
  });
});

describe('accessKeys', () => {
  it('accepts any configured key and nothing else (prefixes, case, empty, missing)', () => {
    const keys = accessKeys(['alpha-key', 'beta-key']);
    expect(keys.accepts('alpha-key')).toBe(true);
    expect(keys.accepts('beta-key')).toBe(true);
    for (const bad of ['alpha', 'alpha-key ', 'ALPHA-KEY', '', undefined])
      expect(keys.accepts(bad)).toBe(false);
  });
});

describe('createSemaphore', () => {
  const live = new AbortController().signal;

  it('admits `limit` holders, queues `maxQueued`, refuses the rest, and hands slots over in order', async () => {
    const s = createSemaphore(1, 1);
    const first = await s.acquire(live);
    expect(first).toBeDefined();
    const second = s.acquire(live);
    expect(s.queued).toBe(1);
    expect(await s.acquire(live)).toBeUndefined();
    first?.();
    first?.(); // releasing twice is harmless
    const release2 = await second;
    expect(s.active).toBe(1);
    expect(s.queued).toBe(0);
    release2?.();
    expect(s.active).toBe(0);
  });

  it('drops a waiter whose signal aborts, so the slot goes to the next one still waiting', async () => {
    const s = createSemaphore(1, 2);
    const first = await s.acquire(live);
    const gone = new AbortController();
    const abandoned = s.acquire(gone.signal);
    const next = s.acquire(live);
    expect(s.queued).toBe(2);
    gone.abort(new Error('client went away'));
    await expect(abandoned).rejects.toThrow('client went away');
    expect(s.queued).toBe(1);
    first?.();
    const release = await next;
    expect(s.active).toBe(1);
    release?.();
    expect(s.active).toBe(0);
    expect(s.queued).toBe(0);
  });

  it('refuses an already aborted signal without taking a slot or a queue place', async () => {
    const s = createSemaphore(1, 1);
    const aborted = AbortSignal.abort(new Error('gone'));
    await expect(s.acquire(aborted)).rejects.toThrow('gone');
    expect(s.active).toBe(0);
    const held = await s.acquire(live);
    await expect(s.acquire(aborted)).rejects.toThrow('gone');
    expect(s.queued).toBe(0);
    held?.();
    expect(s.active).toBe(0);
  });
});

describe('createSemaphore: how long slots are held', () => {
  it('reports the grant time of the longest-held slot, and undefined once none is held', async () => {
    let t = 1000;
    const s = createSemaphore(2, 1, () => t);
    const live = new AbortController().signal;
    expect(s.oldestHeldSince()).toBeUndefined();
    const a = await s.acquire(live);
    t = 2000;
    const b = await s.acquire(live);
    expect(s.oldestHeldSince()).toBe(1000);
    a?.();
    expect(s.oldestHeldSince()).toBe(2000);
    b?.();
    expect(s.oldestHeldSince()).toBeUndefined();
  });

  it('counts a slot handed over to a waiter from the hand-over, not from the previous holder', async () => {
    let t = 1000;
    const s = createSemaphore(1, 1, () => t);
    const live = new AbortController().signal;
    const a = await s.acquire(live);
    const waiting = s.acquire(live);
    t = 5000;
    a?.();
    const b = await waiting;
    expect(s.oldestHeldSince()).toBe(5000);
    b?.();
    expect(s.oldestHeldSince()).toBeUndefined();
  });
});
