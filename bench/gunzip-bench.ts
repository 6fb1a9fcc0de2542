/**
 * `npm run bench:gunzip`: where the receiver's record gunzip should stay on the event loop.
 *
 * For CloudWatch Logs subscription payloads of growing decompressed size (realistic access-log
 * envelopes, level-6 gzip as CloudWatch sends them), times N sequential `gunzipSync` calls against
 * N sequential calls of zlib's async `gunzip` (libuv thread pool), in the same process and run,
 * interleaved, and prints the ratio async ÷ sync per size plus the sync time per call (= how long
 * that call holds the event loop). No absolute threshold is asserted anywhere; the table decides
 * `SYNC_GUNZIP_MAX_OUTPUT_BYTES` in src/receiver/gunzip.ts.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { gunzip, gunzipSync, gzipSync } from 'node:zlib';
import { encodeSubscriptionEnvelope } from '../src/core/encode/cloudwatch-logs.js';

const gunzipAsync = promisify(gunzip);
const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const reps = Number(values.reps);

function payload(decompressedBytes: number): Buffer {
  const logEvents = [];
  let size = 0;
  for (let i = 0; size < decompressedBytes; i++) {
    const message = Buffer.from(
      `{"requestId":"${(i * 2654435761).toString(16)}-${i}","ip":"10.${i % 256}.${(i >> 8) % 256}.7","requestTime":"06/Aug/2025:14:${String(i % 60).padStart(2, '0')}:00 +0000","httpMethod":"GET","resourcePath":"/pets/${i % 977}","status":"${i % 13 === 0 ? 500 : 200}","responseLength":"${(i * 37) % 9000}"}`,
    );
    logEvents.push({ id: String(36_000_000_000_000 + i), timestamp: 1_754_488_800_000 + i, message });
    size += message.length + 80;
  }
  return gzipSync(encodeSubscriptionEnvelope({ logGroup: '/aws/apigw/access', logStream: 's', logEvents }), {
    level: 6,
  });
}

const sizes = [1024, 8 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024, 8 * 1024 * 1024];
console.log(
  `node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, reps ${reps}`,
);
console.log(
  '| decompressed | compressed | calls/rep | sync µs/call (event loop held) | async µs/call | async ÷ sync (median of reps) |',
);
console.log('|--:|--:|--:|--:|--:|--:|');
for (const target of sizes) {
  const gz = payload(target);
  const out = gunzipSync(gz).length;
  const calls = Math.max(4, Math.round((64 * 1024 * 1024) / out));
  const syncUs: number[] = [];
  const asyncUs: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    let t = performance.now();
    for (let i = 0; i < calls; i++) gunzipSync(gz, { maxOutputLength: out });
    const s = ((performance.now() - t) * 1000) / calls;
    t = performance.now();
    for (let i = 0; i < calls; i++) await gunzipAsync(gz, { maxOutputLength: out });
    const a = ((performance.now() - t) * 1000) / calls;
    if (r > 0) {
      // rep 0 warms up
      syncUs.push(s);
      asyncUs.push(a);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  const ratios = syncUs.map((s, i) => (asyncUs[i] as number) / s);
  console.log(
    `| ${out.toLocaleString('en-US')} | ${gz.length.toLocaleString('en-US')} | ${calls} | ${median(syncUs).toFixed(1)} | ${median(asyncUs).toFixed(1)} | ${median(ratios).toFixed(2)} |`,
  );
}
