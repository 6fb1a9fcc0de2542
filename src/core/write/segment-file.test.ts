import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEfsinkError } from '../errors.js';
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  SEGMENT_HEADER_PREFIX_BYTES,
  SEGMENT_MAGIC,
} from './segment-file.js';
import type { SegmentMeta } from './segment-meta.js';

const metaArb: fc.Arbitrary<SegmentMeta> = fc.record({
  v: fc.constant(1 as const),
  logGroup: fc.string({ unit: 'grapheme', maxLength: 512 }),
  logStream: fc.string({ unit: 'grapheme', maxLength: 512 }),
  firstEventId: fc.stringMatching(/^\d{1,56}$/),
  lastEventId: fc.stringMatching(/^\d{1,56}$/),
  eventCount: fc.integer({ min: 1, max: 10_000 }),
});

function file(body: Uint8Array, meta?: SegmentMeta): Buffer {
  return Buffer.concat([encodeSegmentHeader(body.length, meta), body]);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isEfsinkError(err)) return err.code;
    throw err;
  }
  return 'none';
}

describe('segment file (header + framed body)', () => {
  it('gives back the meta and the exact body, for any body bytes and meta', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.option(metaArb, { nil: undefined }),
        (body, meta) => {
          const bytes = file(body, meta);
          const h = decodeSegmentHeader(bytes);
          expect(h.meta).toEqual(meta);
          expect(h.bodyBytes).toBe(body.length);
          expect(bytes.subarray(h.bodyOffset)).toEqual(Buffer.from(body));
          // A reader that has only the start of the file and its size gets the same header.
          const prefix = bytes.subarray(0, Math.min(bytes.length, SEGMENT_HEADER_PREFIX_BYTES));
          expect(decodeSegmentHeader(prefix, bytes.length)).toEqual(h);
        },
      ),
    );
  });

  it('starts with a line a person can read', () => {
    expect(file(Buffer.from('GET / 200\n')).toString()).toBe(
      `${SEGMENT_MAGIC}16\n{"bodyBytes":10}\nGET / 200\n`,
    );
  });

  it('rejects with SEGMENT_INVALID any file cut short or grown by even one byte', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.option(metaArb, { nil: undefined }),
        fc.integer({ min: 1, max: 400 }),
        fc.boolean(),
        (body, meta, n, cut) => {
          const bytes = file(body, meta);
          const changed = cut
            ? bytes.subarray(0, Math.max(0, bytes.length - n))
            : Buffer.concat([bytes, Buffer.alloc(n, 0x0a)]);
          expect(codeOf(() => decodeSegmentHeader(changed))).toBe('SEGMENT_INVALID');
        },
      ),
    );
  });

  it('rejects with SEGMENT_INVALID, never another error, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.string().map((s) => Buffer.from(`${SEGMENT_MAGIC}${s}`)),
          fc
            .tuple(fc.json(), fc.uint8Array({ maxLength: 20 }))
            .map(([j, b]) =>
              Buffer.concat([Buffer.from(`${SEGMENT_MAGIC}${Buffer.byteLength(j)}\n${j}\n`), b]),
            ),
        ),
        (bytes) => {
          const code = codeOf(() => decodeSegmentHeader(bytes));
          expect(['SEGMENT_INVALID', 'none']).toContain(code);
        },
      ),
    );
  });

  it('names what is wrong', () => {
    const good = file(Buffer.from('x\n'));
    expect(() => decodeSegmentHeader(Buffer.from('GET / HTTP/1.1\n'))).toThrow(
      /starts with "GET \/ HTTP\/1.1\\n/,
    );
    expect(() => decodeSegmentHeader(good.subarray(0, good.length - 1))).toThrow(
      /header says 2 body bytes, the file holds 1/,
    );
    const json = '{"bodyBytes":0,"meta":{}}';
    const badMeta = Buffer.from(`${SEGMENT_MAGIC}${json.length}\n${json}\n`);
    expect(() => decodeSegmentHeader(badMeta)).toThrow(/meta is not a valid segment description/);
  });
});
