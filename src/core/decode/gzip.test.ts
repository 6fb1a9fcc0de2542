import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gunzipCapped, isGzip } from './gzip.js';

describe('gunzipCapped', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(gunzipCapped(gzipSync(bytes), 1 << 20)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('concatenates every member of a multi-member stream', () => {
    const gz = Buffer.concat([gzipSync('first\n'), gzipSync('second\n'), gzipSync('')]);
    expect(gunzipCapped(gz, 1024).toString()).toBe('first\nsecond\n');
  });

  // 30 s: it timed out once at vitest's 5 s default in a full run on the shared 2-core machine.
  it('inflates outputs larger than one chunk, whichever member is largest (the trailer sizes the first chunk)', {
    timeout: 30_000,
  }, () => {
    const big = Buffer.alloc(300_000, 'access log line\n');
    expect(gunzipCapped(gzipSync(big), 1 << 20)).toEqual(big);
    const gz = Buffer.concat([gzipSync('first\n'), gzipSync(big), gzipSync('last\n')]);
    expect(gunzipCapped(gz, 1 << 20)).toEqual(
      Buffer.concat([Buffer.from('first\n'), big, Buffer.from('last\n')]),
    );
    const smallLast = Buffer.concat([gzipSync(big), gzipSync('x')]);
    expect(gunzipCapped(smallLast, 1 << 20)).toEqual(Buffer.concat([big, Buffer.from('x')]));
  });

  it('fails on a gzip bomb with DECODE_TOO_LARGE instead of inflating it', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => gunzipCapped(bomb, 1024 * 1024)).toThrow(
      expect.objectContaining({ code: 'DECODE_TOO_LARGE' }),
    );
  });

  it('fails on truncated gzip with DECODE_INVALID_GZIP', () => {
    const gz = gzipSync(Buffer.from('hello world, hello world, hello world'));
    for (const cut of [1, 5, 10, gz.length - 1]) {
      expect(() => gunzipCapped(gz.subarray(0, cut), 1024)).toThrow(
        expect.objectContaining({ code: 'DECODE_INVALID_GZIP' }),
      );
    }
  });

  it('fails on corrupt data with DECODE_INVALID_GZIP', () => {
    const gz = gzipSync(Buffer.from('hello world'));
    gz[12] = (gz[12] as number) ^ 0xff;
    expect(() => gunzipCapped(gz, 1024)).toThrow(expect.objectContaining({ code: 'DECODE_INVALID_GZIP' }));
    expect(() => gunzipCapped(Buffer.from('plain text'), 1024)).toThrow(
      expect.objectContaining({ code: 'DECODE_INVALID_GZIP' }),
    );
  });

  it('recognises the gzip magic number', () => {
    expect(isGzip(gzipSync('x'))).toBe(true);
    expect(isGzip(Buffer.from('{"a":1}'))).toBe(false);
    expect(isGzip(Buffer.from([0x1f]))).toBe(false);
  });
});
