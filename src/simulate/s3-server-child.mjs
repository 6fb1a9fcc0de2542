// Child process started by src/simulate/s3-server.ts (startS3Server): s3rver (a real S3-compatible server from npm) behind a small
// loopback front that removes `aws-chunked` framing from request bodies.
//
// Why a child process: s3rver 3.7 signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3
// (Node >= 17) only offers through the legacy provider, so ListObjectsV2 with MaxKeys answers 500
// (ERR_OSSL_EVP_UNSUPPORTED) unless Node runs with --openssl-legacy-provider. That flag cannot be
// turned on inside the vitest worker, so s3rver runs here.
//
// Why the front: AWS SDK v3 (>= 3.729) sends streaming PutObject bodies as `Content-Encoding: aws-chunked`
// with a trailing `x-amz-checksum-crc32` (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER).
// Real S3 strips that framing (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html);
// s3rver stores it verbatim, which would corrupt objects byte-wise. The front decodes the framing and
// forwards a plain body, so the stored bytes are what the client sent, after checking the trailing
// x-amz-checksum-crc32/sha1/sha256 as S3 does (400 BadDigest on mismatch). s3rver does not verify SigV4
// signatures, so rewriting signed headers is harmless.
//
// Protocol with the parent: config JSON in env EFSINK_S3_SERVER_CONFIG ({directory, buckets[]}); one
// line `{"port":N}` on stdout when ready; exits on SIGTERM or when stdin closes.
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import zlib from 'node:zlib';
import S3rver from 's3rver';

const config = JSON.parse(process.env.EFSINK_S3_SERVER_CONFIG ?? '{}');

const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: config.directory,
  configureBuckets: (config.buckets ?? []).map((name) => ({ name })),
});
const { port: backendPort } = await s3rver.run();

/**
 * Decodes an aws-chunked body: `hex-size[;chunk-signature=..]\r\n data \r\n` … `0\r\n` then trailer lines
 * `name:value\r\n` and a final `\r\n`. Returns the payload and the trailers.
 */
function decodeAwsChunked(body) {
  const parts = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error(`aws-chunked: missing chunk header at byte ${offset}`);
    const sizeText = body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '';
    const size = Number.parseInt(sizeText, 16);
    if (!Number.isFinite(size) || size < 0) throw new Error(`aws-chunked: bad chunk size "${sizeText}"`);
    offset = lineEnd + 2;
    if (size === 0) {
      const trailers = {};
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

/** Checksums S3 verifies (x-amz-checksum-*), base64 of the big-endian digest; unknown ones pass unchecked. */
function checksumOf(algorithm, payload) {
  if (algorithm === 'crc32' && typeof zlib.crc32 === 'function') {
    const digest = Buffer.alloc(4);
    digest.writeUInt32BE(zlib.crc32(payload) >>> 0);
    return digest.toString('base64');
  }
  if (algorithm === 'sha1' || algorithm === 'sha256')
    return createHash(algorithm).update(payload).digest('base64');
  return undefined;
}

/** The first x-amz-checksum-* value (trailer or header) that does not match the payload, if any. */
function checksumMismatch(payload, fields) {
  for (const [name, value] of Object.entries(fields)) {
    const match = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.exec(name);
    const expected = match ? checksumOf(match[1], payload) : undefined;
    if (expected !== undefined && expected !== value) return { name, value, expected };
  }
  return undefined;
}

function isAwsChunked(headers) {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

function forward(req, res, headers, body) {
  const upstream = httpRequest(
    { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(String(error));
  });
  if (body === undefined) req.pipe(upstream);
  else upstream.end(body);
}

function sendError(res, code, message) {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(400, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

const front = createServer((req, res) => {
  if (!isAwsChunked(req.headers)) {
    forward(req, res, req.headers, undefined);
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let decoded;
    try {
      const { payload, trailers } = decodeAwsChunked(Buffer.concat(chunks));
      decoded = payload;
      const mismatch = checksumMismatch(payload, trailers);
      if (mismatch) {
        sendError(
          res,
          'BadDigest',
          `${mismatch.name} ${mismatch.value} did not match the calculated ${mismatch.expected}`,
        );
        return;
      }
    } catch (error) {
      sendError(res, 'IncompleteBody', String(error));
      return;
    }
    const headers = { ...req.headers };
    const encodings = String(headers['content-encoding'] ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '' && e !== 'aws-chunked');
    if (encodings.length === 0) delete headers['content-encoding'];
    else headers['content-encoding'] = encodings.join(',');
    delete headers['x-amz-decoded-content-length'];
    delete headers['x-amz-trailer'];
    delete headers['transfer-encoding'];
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    headers['content-length'] = String(decoded.length);
    forward(req, res, headers, decoded);
  });
});

await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve));
const address = front.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  front.closeAllConnections();
  await new Promise((resolve) => front.close(resolve));
  await s3rver.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
