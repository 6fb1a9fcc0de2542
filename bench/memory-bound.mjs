// `node bench/memory-bound.mjs [N] [serve flags…]` (after `npm run build`): N (default 10) max-size
// 4 MiB bodies at once against `efsink serve --max-body-bytes 4 MiB --max-decompressed-bytes 1 MiB
// --max-queued-requests 0 [flags]`; prints the answers and the receiver's RSS high-water mark
// (VmHWM, /proc) idle and after. Compare `--max-concurrent-requests 10` (no bound in the way) with
// `--memory-limit-bytes 163577856` (156 MiB: room for 2). Linux only. bench/README.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const count = Number(process.argv[2] ?? 10);
const extra = process.argv.slice(3);
const MAX_BODY = 4 * 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'efsink-memory-bound-'));
const child = spawn(
  process.execPath,
  [
    'bin/efsink',
    'serve',
    '--root',
    root,
    '--port',
    '0',
    '--log-group',
    'g',
    '--assemble-interval-seconds',
    '0',
    '--max-body-bytes',
    String(MAX_BODY),
    '--max-decompressed-bytes',
    String(1024 * 1024),
    '--max-queued-requests',
    '0',
    ...extra,
  ],
  { env: { ...process.env, EFSINK_ACCESS_KEY: 'k', EFSINK_LOG_LEVEL: 'silent' } },
);
let out = '';
const url = await new Promise((resolve, reject) => {
  child.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (\S+)/.exec(out);
    if (m) resolve(`${m[1]}/`);
  });
  child.once('close', () => reject(new Error(`serve exited: ${out}`)));
});
const hwmMiB = () =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
const idle = hwmMiB();
const data = Buffer.alloc(384 * 1024, 0x61).toString('base64');
const records = Math.floor((MAX_BODY - 1024) / (512 * 1024 + 16));
const statuses = await Promise.all(
  Array.from({ length: count }, async (_, i) => {
    const requestId = `r${i}`;
    const body = JSON.stringify({
      requestId,
      timestamp: Date.UTC(2025, 7, 6, 14),
      records: Array.from({ length: records }, () => ({ data })),
    });
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'X-Amz-Firehose-Request-Id': requestId, 'X-Amz-Firehose-Access-Key': 'k' },
        body,
      });
      return res.status;
    } catch {
      return 0; // answered 503 and closed while the body was still being sent
    }
  }),
);
console.log(
  JSON.stringify({
    flags: extra.join(' '),
    sent: count,
    statuses: statuses.join(','),
    idleHwmMiB: idle,
    peakHwmMiB: hwmMiB(),
  }),
);
child.kill('SIGKILL');
rmSync(root, { recursive: true, force: true });
