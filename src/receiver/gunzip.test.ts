import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  GUNZIP_YIELD_EVERY_BYTES,
  gunzipOffLoop,
  recordGunzip,
  SYNC_GUNZIP_MAX_OUTPUT_BYTES,
} from './gunzip.js';

const code = (c: string) => expect.objectContaining({ code: c });

describe('gunzipOffLoop', () => {
  it('decompresses a small output in place and a large one on the thread pool, both exactly', async () => {
    const offLoop: string[] = [];
    const small = Buffer.alloc(SYNC_GUNZIP_MAX_OUTPUT_BYTES, 7);
    const large = Buffer.alloc(SYNC_GUNZIP_MAX_OUTPUT_BYTES + 1, 9);
    const opts = { onOffLoop: (what: string) => offLoop.push(what) };
    expect((await gunzipOffLoop(gzipSync(small), 1 << 20, 'small', opts)).equals(small)).toBe(true);
    expect((await gunzipOffLoop(gzipSync(large), 1 << 20, 'large', opts)).equals(large)).toBe(true);
    expect(offLoop).toEqual(['large']);
  });

  it('reads every member of a multi-member stream', async () => {
    const two = Buffer.concat([gzipSync('a\n'), gzipSync(Buffer.alloc(200_000, 0x62))]);
    expect((await gunzipOffLoop(two, 1 << 20, 'two')).length).toBe(200_002);
  });

  it('fails DECODE_TOO_LARGE at the cap on either path, DECODE_INVALID_GZIP on bad input', async () => {
    await expect(gunzipOffLoop(gzipSync(Buffer.alloc(1000)), 999, 'r')).rejects.toThrow(
      code('DECODE_TOO_LARGE'),
    );
    await expect(gunzipOffLoop(gzipSync(Buffer.alloc(2 << 20)), 1 << 20, 'r')).rejects.toThrow(
      code('DECODE_TOO_LARGE'),
    );
    await expect(gunzipOffLoop(Buffer.from([0x1f, 0x8b, 0, 1]), 1 << 20, 'r')).rejects.toThrow(
      code('DECODE_INVALID_GZIP'),
    );
    // Truncated after the sync cap: found off the loop.
    const cut = gzipSync(Buffer.alloc(1 << 20, 3)).subarray(0, -20);
    await expect(gunzipOffLoop(cut, 4 << 20, 'r', { syncMaxOutputBytes: 0 })).rejects.toThrow(
      code('DECODE_INVALID_GZIP'),
    );
  });
});

describe('recordGunzip', () => {
  it('lets the event loop run after every GUNZIP_YIELD_EVERY_BYTES of back-to-back output', async () => {
    const gunzip = recordGunzip();
    const piece = gzipSync(Buffer.alloc(SYNC_GUNZIP_MAX_OUTPUT_BYTES, 1));
    let immediates = 0;
    const count = () => {
      immediates++;
    };
    const perYield = GUNZIP_YIELD_EVERY_BYTES / SYNC_GUNZIP_MAX_OUTPUT_BYTES;
    setImmediate(count);
    for (let i = 0; i < perYield; i++) await gunzip(piece, 1 << 30, 'r');
    // perYield pieces in place: no turn of the event loop yet.
    expect(immediates).toBe(0);
    await gunzip(piece, 1 << 30, 'r');
    expect(immediates).toBe(1);
  });
});
