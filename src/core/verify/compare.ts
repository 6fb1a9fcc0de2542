import { createHash } from 'node:crypto';

/**
 * Hash-partitioned multiset comparison of source lines against stored lines (ADR 0004, "verify").
 * Records are `(side, file, line bytes)`; a record's digest picks its partition, so equal records
 * always meet in the same partition, and each partition is compared alone in memory bounded by its
 * size. Pure: the caller spills records to partitions and hands each one back as a buffer.
 */
export const SOURCE = 0;
export const STORED = 1;
export type Side = typeof SOURCE | typeof STORED;

export interface LineSample {
  /** Output file, relative to the root. */
  readonly relPath: string;
  /** The line as text (UTF-8, invalid bytes replaced) and, exactly, as base64. */
  readonly line: string;
  readonly base64: string;
  /** How many times this line is missing / extra / duplicated. */
  readonly times: number;
}

export interface MismatchClass {
  count: number;
  readonly samples: LineSample[];
}

export interface ComparisonReport {
  sourceLines: number;
  storedLines: number;
  readonly missing: MismatchClass;
  readonly extra: MismatchClass;
  readonly duplicated: MismatchClass;
}

export function emptyReport(): ComparisonReport {
  return {
    sourceLines: 0,
    storedLines: 0,
    missing: { count: 0, samples: [] },
    extra: { count: 0, samples: [] },
    duplicated: { count: 0, samples: [] },
  };
}

export function isExactMatch(r: ComparisonReport): boolean {
  return r.missing.count === 0 && r.extra.count === 0 && r.duplicated.count === 0;
}

/** `relPath \0 line`: the identity compared (a line in the wrong file is missing there and extra elsewhere). */
export function recordPayload(relPath: string, line: Uint8Array): Buffer {
  const p = Buffer.from(relPath, 'utf8');
  const out = Buffer.allocUnsafe(p.length + 1 + line.length);
  p.copy(out, 0);
  out[p.length] = 0;
  out.set(line, p.length + 1);
  return out;
}

const HEADER_BYTES = 5;

/** One spilled record: side (1 byte), payload length (u32 BE), payload. */
export function encodeRecord(side: Side, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out[0] = side;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, HEADER_BYTES);
  return out;
}

export function digestOf(payload: Uint8Array): Buffer {
  return createHash('sha256').update(payload).digest();
}

/** The partition of a payload among `partitions` (from its digest: equal payloads, same partition). */
export function partitionOf(payload: Uint8Array, partitions: number): number {
  return digestOf(payload).readUInt32BE(0) % partitions;
}

/**
 * Compares one partition (concatenated records) and adds its counts and up to `maxSamples` samples
 * per class to `report`. Memory: the partition buffer plus one small entry per distinct line.
 */
export function comparePartition(partition: Buffer, report: ComparisonReport, maxSamples: number): void {
  const counts = new Map<string, { s: number; e: number; at: number }>();
  let o = 0;
  while (o < partition.length) {
    if (o + HEADER_BYTES > partition.length)
      throw new RangeError(`partition: truncated record header at ${o}`);
    const side = partition[o] as number;
    const len = partition.readUInt32BE(o + 1);
    const start = o + HEADER_BYTES;
    if (start + len > partition.length) throw new RangeError(`partition: truncated record at ${o}`);
    const key = digestOf(partition.subarray(start, start + len)).toString('latin1');
    let c = counts.get(key);
    if (c === undefined) {
      c = { s: 0, e: 0, at: o };
      counts.set(key, c);
    }
    if (side === SOURCE) {
      c.s++;
      report.sourceLines++;
    } else {
      c.e++;
      report.storedLines++;
    }
    o = start + len;
  }
  for (const c of counts.values()) {
    if (c.s === c.e) continue;
    const cls = c.e < c.s ? report.missing : c.s === 0 ? report.extra : report.duplicated;
    const times = Math.abs(c.s - c.e);
    cls.count += times;
    if (cls.samples.length < maxSamples) cls.samples.push(sampleAt(partition, c.at, times));
  }
}

function sampleAt(partition: Buffer, at: number, times: number): LineSample {
  const len = partition.readUInt32BE(at + 1);
  const payload = partition.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len);
  const nul = payload.indexOf(0);
  const line = payload.subarray(nul + 1);
  return {
    relPath: payload.subarray(0, nul).toString('utf8'),
    line: line.toString('utf8'),
    base64: line.toString('base64'),
    times,
  };
}
