import { LF } from '../write/frame.js';

/**
 * Splits a byte stream into lines, each line keeping its `\n`; whatever follows the last `\n` is
 * returned by `end()` as a final line without one (a truncated file then shows up as a line that
 * no source line equals). Entries with an inner `\n` become several lines on both sides of a
 * comparison alike, so the split is symmetric.
 *
 * @example
 * const s = new LineSplitter();
 * [...s.push(Buffer.from('a\nb')), ...s.end()]; // [<a\n>, <b>]
 */
export class LineSplitter {
  private carry: Buffer[] = [];

  *push(chunk: Uint8Array): Generator<Buffer> {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let i = buf.indexOf(LF, start); i !== -1; i = buf.indexOf(LF, start)) {
      const piece = buf.subarray(start, i + 1);
      if (this.carry.length > 0) {
        this.carry.push(piece);
        yield Buffer.concat(this.carry);
        this.carry = [];
      } else yield Buffer.from(piece);
      start = i + 1;
    }
    if (start < buf.length) this.carry.push(Buffer.from(buf.subarray(start)));
  }

  *end(): Generator<Buffer> {
    if (this.carry.length > 0) yield Buffer.concat(this.carry);
    this.carry = [];
  }
}

/** All lines of a complete byte string (see LineSplitter). */
export function splitLines(bytes: Uint8Array): Buffer[] {
  const s = new LineSplitter();
  return [...s.push(bytes), ...s.end()];
}
