// Child process started by test/support/s3-server.ts (startS3Server): s3rver, a real S3-compatible
// server from npm (dev dependency), on 127.0.0.1, port 0.
//
// Why a child process: s3rver 3.7 signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3
// (Node >= 17) only offers through the legacy provider, so ListObjectsV2 with MaxKeys answers 500
// (ERR_OSSL_EVP_UNSUPPORTED) unless Node runs with --openssl-legacy-provider. That flag cannot be
// turned on inside the vitest worker, so s3rver runs here. The aws-chunked front runs in the parent.
//
// Protocol with the parent: config JSON in env EFSINK_S3_SERVER_CONFIG ({directory, buckets[]}); one
// line `{"port":N}` on stdout when ready; exits on SIGTERM or when stdin closes.
import S3rver from 's3rver';

const config = JSON.parse(process.env.EFSINK_S3_SERVER_CONFIG ?? '{}');

const s3rver = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: config.directory,
  configureBuckets: (config.buckets ?? []).map((name) => ({ name })),
});
const { port } = await s3rver.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await s3rver.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
