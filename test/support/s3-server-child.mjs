// Child process started by s3-server.ts: s3rver (a real S3-compatible server from npm) behind a small
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
// forwards a plain body, so the stored bytes are what the client sent. s3rver does not verify SigV4
// signatures, so rewriting signed headers is harmless.
//
// Protocol with the parent: config JSON in env EFSINK_S3_SERVER_CONFIG ({directory, buckets[]}); one
// line `{"port":N}` on stdout when ready; exits on SIGTERM or when stdin closes.
import { createServer, request as httpRequest } from 'node:http';
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

/** Decodes an aws-chunked body: `hex-size[;chunk-signature=..]\r\n data \r\n` … `0\r\n trailers \r\n`. */
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
    if (size === 0) return Buffer.concat(parts);
    if (offset + size + 2 > body.length) throw new Error('aws-chunked: chunk runs past end of body');
    parts.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
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
      decoded = decodeAwsChunked(Buffer.concat(chunks));
    } catch (error) {
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>IncompleteBody</Code><Message>${String(error)}</Message></Error>`,
      );
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
