import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';

// AWS SDK v3 (>= 3.729) sends streaming PutObject bodies as `Content-Encoding: aws-chunked` with a
// trailing `x-amz-checksum-crc32` (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER). Real
// S3 strips that framing and checks the trailing checksum
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html); the local S3 servers do
// the same with these helpers, so the stored bytes are what the client sent.

/** Whether a request body is aws-chunked framed (by its Content-Encoding or its payload hash). */
export function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

/**
 * Decodes an aws-chunked body: `hex-size[;chunk-signature=..]\r\n data \r\n` … `0\r\n`, then trailer
 * lines `name:value\r\n` and a final `\r\n`. Returns the payload and the trailers (lower-case names).
 * Throws an Error naming the byte offset on malformed framing.
 */
export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error(`aws-chunked: missing chunk header at byte ${offset}`);
    const sizeText = body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '';
    const size = /^[0-9a-fA-F]+$/.test(sizeText) ? Number.parseInt(sizeText, 16) : Number.NaN;
    if (!Number.isSafeInteger(size)) throw new Error(`aws-chunked: bad chunk size "${sizeText}"`);
    offset = lineEnd + 2;
    if (size === 0) {
      const trailers: Record<string, string> = {};
      for (const line of body.subarray(offset).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      return { payload: Buffer.concat(parts), trailers };
    }
    if (offset + size + 2 > body.length) throw new Error('aws-chunked: chunk runs past end of body');
    parts.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
}

/** The first x-amz-checksum-* field (trailer or header) that does not match the payload, if any. */
export function checksumMismatch(
  payload: Buffer,
  fields: Readonly<Record<string, string | string[] | undefined>>,
): { name: string; value: string; expected: string } | undefined {
  for (const [name, value] of Object.entries(fields)) {
    const match = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.exec(name);
    const algorithm = match?.[1];
    if (algorithm === undefined || typeof value !== 'string') continue;
    const expected = checksumOf(algorithm, payload);
    if (expected !== undefined && expected !== value) return { name, value, expected };
  }
  return undefined;
}

/** Base64 of the big-endian digest, as S3 writes x-amz-checksum-*; undefined for unchecked kinds. */
function checksumOf(algorithm: string, payload: Buffer): string | undefined {
  if (algorithm === 'crc32') {
    const digest = Buffer.alloc(4);
    digest.writeUInt32BE(crc32(payload) >>> 0);
    return digest.toString('base64');
  }
  if (algorithm === 'sha1' || algorithm === 'sha256') {
    return createHash(algorithm).update(payload).digest('base64');
  }
  return undefined;
}

/**
 * The headers to forward with a decoded body: aws-chunked removed from Content-Encoding, the
 * streaming headers dropped, the length set to the payload's.
 */
export function headersWithoutChunking(
  headers: IncomingHttpHeaders,
  payloadLength: number,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  const encodings = String(out['content-encoding'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e !== 'aws-chunked');
  if (encodings.length === 0) delete out['content-encoding'];
  else out['content-encoding'] = encodings.join(',');
  delete out['x-amz-decoded-content-length'];
  delete out['x-amz-trailer'];
  delete out['transfer-encoding'];
  out['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  out['content-length'] = String(payloadLength);
  return out;
}

/** An S3 error document. */
export function s3ErrorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${fields}</Error>`;
}

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
