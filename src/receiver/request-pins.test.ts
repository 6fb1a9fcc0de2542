import { mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetVerifiedDirs } from '../io/confine.js';
import { type RootLayout, rootLayout } from '../io/layout.js';
import { DEFAULT_PIN_MAX_AGE_MS, hourFolder, type PinSweep, requestPins } from './request-pins.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 22, 10, 15, 0);
const MAX_AGE = DEFAULT_PIN_MAX_AGE_MS;

let layout: RootLayout;
let clock: number;
const at = () => clock;
const pinsDir = () => join(layout.internal, 'firehose-requests');
const hoursDir = () => join(layout.internal, 'firehose-request-hours');
const id = (i: number) => i.toString(16).padStart(32, '0');
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

beforeEach(async () => {
  layout = rootLayout(await mkdtemp(join(tmpdir(), 'efsink-pins-')));
  clock = T0;
});
afterEach(async () => {
  await rm(layout.root, { recursive: true, force: true });
});

/** Sweeps until one reports complete; returns every report (a bounded loop: a bug cannot hang the test). */
async function sweepAll(pins: ReturnType<typeof requestPins>, nowMs: number): Promise<PinSweep[]> {
  const reports: PinSweep[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = await pins.sweep(nowMs, MAX_AGE);
    reports.push(r);
    if (r.complete) return reports;
  }
  throw new Error('sweep never completed');
}

// 60 s per test: each pin is a few fsyncs, and the shared machine runs at load 20+.
describe('requestPins', { timeout: 60_000 }, () => {
  it('pins the first timestamp of a request id; a retry with another timestamp gets the first', async () => {
    const pins = requestPins(layout, { now: at });
    expect(await pins.pin(id(1), 111)).toBe(111);
    expect(await pins.pin(id(1), 222)).toBe(111);
    expect(await pins.pin(id(2), 333)).toBe(333);
    // Another receiver on the same root agrees.
    expect(await requestPins(layout, { now: at }).pin(id(1), 444)).toBe(111);
  });

  it('makes racing receivers agree on one timestamp per request id', async () => {
    const a = requestPins(layout, { now: at });
    const b = requestPins(layout, { now: () => clock + 1_000 });
    for (let i = 0; i < 10; i++) {
      const got = await Promise.all(
        Array.from({ length: 8 }, (_, k) => (k % 2 ? a : b).pin(id(100 + i), 1_000 + k)),
      );
      expect(new Set(got).size).toBe(1);
    }
    // Every pin has its sweep entry (the winner's inode under the hour folder): link count 2.
    for (const name of await readdir(pinsDir())) expect((await stat(join(pinsDir(), name))).nlink).toBe(2);
  });

  it('keeps a pin for the whole window and deletes it after, through its hour folder', async () => {
    const pins = requestPins(layout, { now: at });
    await pins.pin(id(1), 111);
    clock = T0 + MAX_AGE; // 48 h later: still pinned
    expect((await sweepAll(pins, clock)).reduce((n, r) => n + r.removed, 0)).toBe(0);
    expect(await pins.pin(id(1), 999)).toBe(111);
    // The folder of 10:00–11:00 goes once its end is more than 48 h ago.
    clock = Date.UTC(2026, 10, 24, 11, 0, 1);
    const reports = await sweepAll(pins, clock);
    expect(reports.reduce((n, r) => n + r.removed, 0)).toBe(1);
    expect(await exists(join(pinsDir(), id(1)))).toBe(false);
    expect(await exists(join(hoursDir(), hourFolder(T0)))).toBe(false);
    // Pinned again, now: a request id seen again after the window is a new request.
    expect(await pins.pin(id(1), 999)).toBe(999);
  });

  it('sweeps only the expired hours: its cost does not follow the pins it keeps', async () => {
    const pins = requestPins(layout, { now: at });
    for (let i = 0; i < 30; i++) await pins.pin(id(i), T0);
    clock = T0 + 10 * H;
    for (let i = 30; i < 300; i++) await pins.pin(id(i), clock);
    await sweepAll(pins, clock); // the first sweep walks the flat folder once (legacy pins)
    clock = T0 + MAX_AGE + 2 * H;
    const reports = await sweepAll(pins, clock);
    expect(reports.reduce((n, r) => n + r.removed, 0)).toBe(30);
    // Looked at the 30 expired sweep entries, none of the 270 younger pins.
    expect(reports.reduce((n, r) => n + r.examined, 0)).toBe(30);
    expect((await readdir(pinsDir())).length).toBe(270);
    const again = await pins.sweep(clock, MAX_AGE);
    expect(again).toEqual({ removed: 0, examined: 0, migrated: 0, complete: true });
  });

  it('stops at its time budget and carries on at the next sweep', async () => {
    let ticks = 0;
    // A fake budget clock: every reading is 1 ms later, so a 2 ms budget allows one batch of 16 only.
    const pins = requestPins(layout, { now: at, sweepBudgetMs: 2, budgetClock: () => ticks++ });
    for (let i = 0; i < 60; i++) await pins.pin(id(i), T0);
    clock = T0 + MAX_AGE + 2 * H;
    const reports = await sweepAll(pins, clock);
    expect(reports.length).toBeGreaterThanOrEqual(4);
    for (const r of reports) expect(r.examined).toBeLessThanOrEqual(16);
    expect(reports.reduce((n, r) => n + r.removed, 0)).toBe(60);
    expect(await readdir(pinsDir())).toEqual([]);
  });

  it('reads pins of the flat folder written before hour folders, then migrates or deletes them once', async () => {
    await mkdir(pinsDir(), { recursive: true });
    const old = join(pinsDir(), id(1));
    const young = join(pinsDir(), id(2));
    await writeFile(old, '111');
    await writeFile(young, '222');
    const secs = (ms: number) => ms / 1000;
    await utimes(old, secs(T0 - MAX_AGE - H), secs(T0 - MAX_AGE - H));
    await utimes(young, secs(T0 - 2 * H), secs(T0 - 2 * H));
    const pins = requestPins(layout, { now: at });
    // Read through: the old layout's pins still pin.
    expect(await pins.pin(id(2), 999)).toBe(222);
    const first = await sweepAll(pins, clock);
    expect(first.reduce((n, r) => n + r.removed, 0)).toBe(1);
    expect(first.reduce((n, r) => n + r.migrated, 0)).toBe(1);
    expect(await exists(old)).toBe(false);
    expect((await stat(young)).nlink).toBe(2);
    expect(await readdir(join(hoursDir(), hourFolder(T0 - 2 * H)))).toEqual([`${id(2)}~legacy`]);
    expect(await exists(join(hoursDir(), 'legacy-swept'))).toBe(true);
    // Once done, a new process does not walk the flat folder again; the migrated pin expires with
    // its hour folder.
    const later = requestPins(layout, { now: at });
    clock = T0 + MAX_AGE;
    expect(await later.sweep(clock, MAX_AGE)).toEqual({
      removed: 1,
      examined: 1,
      migrated: 0,
      complete: true,
    });
    expect(await exists(young)).toBe(false);
  });

  // Issue 11 item 5: the pins live under the root, so a planted symlink must not redirect them.
  for (const planted of ['firehose-requests', 'firehose-request-hours']) {
    it(`refuses a symlink planted as .efsink/${planted} and writes nothing where it points`, async () => {
      const elsewhere = await mkdtemp(join(tmpdir(), 'efsink-pins-elsewhere-'));
      try {
        forgetVerifiedDirs(); // an earlier test in this process verified the same-named folders
        await mkdir(layout.internal, { recursive: true });
        await symlink(elsewhere, join(layout.internal, planted));
        const pins = requestPins(layout, { now: at });
        await expect(pins.pin(id(1), 111)).rejects.toMatchObject({ code: 'FS_SYMLINK_REFUSED' });
        expect(await readdir(elsewhere, { recursive: true })).toEqual([]);
      } finally {
        await rm(elsewhere, { recursive: true, force: true });
      }
    });
  }
});
