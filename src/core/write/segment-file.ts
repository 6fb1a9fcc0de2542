import { EfsinkError } from '../errors.js';
import { parseSegmentMeta, type SegmentMeta } from './segment-meta.js';

/**
 * The on-disk form of a landed segment (ADR 0007): one file holding a short header, then the framed
 * bytes exactly as they will be appended to the output file.
 *
 *     efsink-segment 1 <H>\n
 *     <H bytes: JSON {"bodyBytes": N, "meta"?: SegmentMeta}>\n
 *     <N body bytes>
 *
 * One file instead of a segment plus a `.meta` sidecar: the description can never be missing or
 * land after its segment, and landing costs one temp file, one fsync and one rename per segment
 * (measured on NFSv4.1: 5 fewer write-type operations per segment; bench/README.md). `bodyBytes`
 * makes a truncated or padded copy detectable.
 */
export const SEGMENT_MAGIC = 'efsink-segment 1 ';
/** A header larger than this is not ours (real ones are a few hundred bytes: names ≤ 512 each). */
export const MAX_SEGMENT_HEADER_BYTES = 16_384;
/** Enough of a file's start to hold any valid header (for readers that want only the header). */
export const SEGMENT_HEADER_PREFIX_BYTES = SEGMENT_MAGIC.length + 6 + MAX_SEGMENT_HEADER_BYTES + 1;

export const SegmentErrorCode = { invalid: 'SEGMENT_INVALID' } as const;

export interface SegmentHeader {
  /** Where the body starts in the file. */
  readonly bodyOffset: number;
  readonly bodyBytes: number;
  readonly meta: SegmentMeta | undefined;
}

/** The header that goes before `bodyBytes` bytes of framed body. */
export function encodeSegmentHeader(bodyBytes: number, meta?: SegmentMeta): Buffer {
  const json = Buffer.from(JSON.stringify(meta === undefined ? { bodyBytes } : { bodyBytes, meta }));
  return Buffer.concat([Buffer.from(`${SEGMENT_MAGIC}${json.length}\n`), json, Buffer.from('\n')]);
}

/**
 * Reads the header at the start of `bytes` (the whole file, or a prefix of it of at least
 * SEGMENT_HEADER_PREFIX_BYTES) of a file of `fileBytes` bytes, and checks that the body is exactly
 * as long as the header says. Throws SEGMENT_INVALID, naming what was found.
 */
export function decodeSegmentHeader(bytes: Uint8Array, fileBytes = bytes.length): SegmentHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = buf.subarray(0, SEGMENT_MAGIC.length).toString('latin1');
  if (magic !== SEGMENT_MAGIC) {
    throw invalid(`starts with ${JSON.stringify(magic)}, expected ${JSON.stringify(SEGMENT_MAGIC)}`);
  }
  const eol = buf.indexOf(0x0a, SEGMENT_MAGIC.length);
  const lenText = buf
    .subarray(SEGMENT_MAGIC.length, eol < 0 ? SEGMENT_MAGIC.length + 8 : eol)
    .toString('latin1');
  if (eol < 0 || !/^[1-9]\d{0,5}$/.test(lenText) || Number(lenText) > MAX_SEGMENT_HEADER_BYTES) {
    throw invalid(
      `header length ${JSON.stringify(lenText)} is not a decimal number in 1..${MAX_SEGMENT_HEADER_BYTES}`,
    );
  }
  const jsonStart = eol + 1;
  const jsonEnd = jsonStart + Number(lenText);
  if (buf.length < jsonEnd + 1) {
    throw invalid(`header needs ${jsonEnd + 1} bytes, the file has ${Math.min(buf.length, fileBytes)}`);
  }
  if (buf[jsonEnd] !== 0x0a) throw invalid(`header is not followed by a newline at byte ${jsonEnd}`);
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(jsonStart, jsonEnd).toString('utf8'));
  } catch {
    throw invalid('header is not valid JSON');
  }
  const h = (typeof header === 'object' && header !== null ? header : {}) as Record<string, unknown>;
  const bodyOffset = jsonEnd + 1;
  const bodyBytes = h.bodyBytes;
  if (typeof bodyBytes !== 'number' || !Number.isSafeInteger(bodyBytes) || bodyBytes < 0) {
    throw invalid(`header bodyBytes is ${JSON.stringify(bodyBytes)}, expected an integer ≥ 0`);
  }
  if (fileBytes - bodyOffset !== bodyBytes) {
    throw invalid(`header says ${bodyBytes} body bytes, the file holds ${fileBytes - bodyOffset}`);
  }
  let meta: SegmentMeta | undefined;
  if (h.meta !== undefined) {
    meta = parseSegmentMeta(h.meta);
    if (meta === undefined) throw invalid('header meta is not a valid segment description');
  }
  return { bodyOffset, bodyBytes, meta };
}

function invalid(reason: string): EfsinkError {
  return new EfsinkError(SegmentErrorCode.invalid, `segment file ${reason}`);
}
