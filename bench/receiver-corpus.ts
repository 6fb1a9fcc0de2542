import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { generateAccessLogLines } from '../src/core/access-log/index.js';
import { FIREHOSE_MAX_RECORDS } from '../src/core/decode/firehose-request.js';

/**
 * Request bodies for `npm run bench:receiver`, built as Firehose builds them
 * (`{"requestId","timestamp","records":[{"data":base64}]}`, optionally gzip as one member) from the
 * repo's seeded access-log generator. Every body of a set carries the same records but its own
 * request id (a UUID-shaped id, so no request is a retry of another) and timestamp; the records part
 * is encoded once and the ids are spliced in. Gzip bodies are compressed here, before anything is
 * timed. A set is written to one file (bodies back to back) plus a JSON index, so that the load
 * generator and the floor read exactly the same bytes.
 */

export interface BodySpec {
  readonly name: string;
  /** Stop adding records once the JSON body reaches this many bytes (or 10,000 records). */
  readonly targetBodyBytes: number;
  readonly gzip: boolean;
  /** Request ids in the set: the most requests one run may send (gzip: as many stored bodies). */
  readonly count: number;
  /** Lines of `longLineBytes` mixed into the generated lines (8 MB bodies need them: ≤ 10,000 records). */
  readonly longLines?: number;
  readonly longLineBytes?: number;
}

export interface BodySetIndex {
  readonly spec: BodySpec;
  readonly file: string;
  readonly records: number;
  /** Sum of the record bytes of one body: the "log bytes" of MB/s. */
  readonly logBytesPerBody: number;
  /** Uncompressed JSON body size. */
  readonly jsonBytesPerBody: number;
  readonly offsets: readonly number[];
  readonly lengths: readonly number[];
  readonly requestIds: readonly string[];
}

export interface BodySet extends BodySetIndex {
  readonly bodies: readonly Buffer[];
}

/** 14:05 UTC: every timestamp of a run stays inside one hour. */
export const BODY_START_MS = Date.UTC(2025, 7, 6, 14, 5);
export const SOURCE_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-bench';

/** `bench0000-<set>-<n>` padded to a UUID's 36 characters. */
function requestIdOf(set: string, n: number): string {
  const head = `${n.toString(16).padStart(8, '0')}-bench-${set}-`;
  return head.padEnd(36, '0').slice(0, 36);
}

export function buildBodySet(spec: BodySpec, file: string): BodySetIndex {
  const lines = generateAccessLogLines({
    seed: 41,
    count: FIREHOSE_MAX_RECORDS,
    startEpochMs: BODY_START_MS,
    preset: 'rest-json',
    longLines: spec.longLines ?? 0,
    ...(spec.longLineBytes !== undefined ? { longLineBytes: spec.longLineBytes } : {}),
  });
  const parts: string[] = [];
  let size = 64;
  let logBytes = 0;
  for (const line of lines) {
    if (size >= spec.targetBodyBytes || parts.length >= FIREHOSE_MAX_RECORDS) break;
    const bytes = Buffer.from(line, 'utf8');
    const part = `${parts.length > 0 ? ',' : ''}{"data":"${bytes.toString('base64')}"}`;
    parts.push(part);
    size += part.length;
    logBytes += bytes.length;
  }
  const recordsJson = Buffer.from(`${parts.join('')}]}`, 'latin1');
  const bodies: Buffer[] = [];
  const requestIds: string[] = [];
  let jsonBytes = 0;
  for (let i = 0; i < spec.count; i++) {
    const requestId = requestIdOf(spec.name, i);
    const head = Buffer.from(
      `{"requestId":"${requestId}","timestamp":${BODY_START_MS + i * 100},"records":[`,
      'latin1',
    );
    requestIds.push(requestId);
    // Plain bodies differ only in the id: one template is stored, bodyOf() splices each id in.
    if (!spec.gzip && i > 0) continue;
    const json = Buffer.concat([head, recordsJson]);
    jsonBytes = json.length;
    bodies.push(spec.gzip ? gzipSync(json) : json);
  }
  const offsets: number[] = [];
  let at = 0;
  for (const b of bodies) {
    offsets.push(at);
    at += b.length;
  }
  writeFileSync(file, Buffer.concat(bodies));
  const index: BodySetIndex = {
    spec,
    file,
    records: parts.length,
    logBytesPerBody: logBytes,
    jsonBytesPerBody: jsonBytes,
    offsets,
    lengths: bodies.map((b) => b.length),
    requestIds,
  };
  writeFileSync(`${file}.json`, JSON.stringify(index));
  return index;
}

export function readBodySet(file: string): BodySet {
  const index = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as BodySetIndex;
  const all = readFileSync(file);
  const bodies = index.offsets.map((o, i) => all.subarray(o, o + (index.lengths[i] as number)));
  return { ...index, bodies };
}

/** Body `i` of a set: stored (gzip), or a copy of the template with request id `i` spliced in (plain). */
export function bodyOf(set: BodySet, i: number): Buffer {
  if (set.spec.gzip) return set.bodies[i] as Buffer;
  const body = Buffer.from(set.bodies[0] as Buffer);
  body.write(set.requestIds[i] as string, ID_OFFSET, 'latin1');
  return body;
}

const ID_OFFSET = '{"requestId":"'.length;
