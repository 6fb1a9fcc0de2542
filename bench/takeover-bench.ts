/**
 * `npm run bench:takeover`: the cost of taking over a large output file (issue 10 item 4).
 *
 * Builds a root whose output file holds SIZE bytes of committed log lines and whose last pass never
 * released its journal (what a crashed or frozen assembler leaves), lands one small unit, and times
 * the pass that must copy the committed prefix to a new inode. The baseline, measured in the same
 * run on the same file, is a plain copy of it (`fs.copyFile`). A second scenario interrupts the copy
 * half-way (as a Lambda timing out would) and times the pass that resumes it.
 *
 *   npm run bench:takeover [-- --gib 2 --dir /work/tmp]
 */
import { copyFile, mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSinkConfig } from '../src/config/sink-config.js';
import { assembleFile, COPY_CHECKPOINT_BYTES } from '../src/io/assemble-file.js';
import { rootLayout } from '../src/io/layout.js';
import { createSink } from '../src/io/sink.js';
import { ingestCloudWatchLogsEvent } from '../src/lambda/cloudwatch-logs.js';
import { silentLogger } from '../src/observability/logger.js';
import { noMetrics } from '../src/observability/metrics.js';
import { buildCorpus, type Delivery } from '../test/support/corpus.js';
import { gitDescription } from './machine.js';

const { values } = parseArgs({ options: { gib: { type: 'string' }, dir: { type: 'string' } } });
const SIZE = Math.round(Number(values.gib ?? '2') * 1024 ** 3);
const REL = 'aws/apigateway/test/2025/08/06/14.log';

async function buildRoot(root: string): Promise<void> {
  const out = join(root, REL);
  await mkdir(join(out, '..'), { recursive: true });
  // Committed log lines (not a sparse file: a copy must move real bytes).
  const line = Buffer.from(
    '203.0.113.7 - - [06/Aug/2025:14:00:00 +0000] "GET /pets HTTP/1.1" 200 1234 req-0000000000\n',
  );
  const chunk = Buffer.alloc(8 * 1024 * 1024);
  for (let o = 0; o < chunk.length; o += line.length) line.copy(chunk, o);
  const fh = await open(out, 'w');
  for (let o = 0; o < SIZE; o += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, SIZE - o), o);
  await fh.sync();
  const ino = (await fh.stat()).ino;
  await fh.close();
  const stateDir = join(root, '.efsink/state', REL);
  await mkdir(join(stateDir, 'done'), { recursive: true });
  await mkdir(join(stateDir, 'batches'), { recursive: true });
  const head = { version: 2, epoch: 1, ino, gen: 1, committedLength: SIZE, released: false, ancestors: [] };
  await writeFile(join(stateDir, 'journal-000000000001.json'), JSON.stringify(head));
  await writeFile(
    join(stateDir, 'claim-000000000001'),
    JSON.stringify({ token: 'gone', expiresAtMs: 0, released: true }),
  );
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 0 }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  const [d] = buildCorpus({
    streams: 1,
    payloadsPerStream: 1,
    eventsPerPayload: 5,
    startMs: Date.UTC(2025, 7, 6, 14, 30),
    stepMs: 1,
  });
  await ingestCloudWatchLogsEvent((d as Delivery).event, {
    config,
    sink,
    log: silentLogger,
    metrics: noMetrics,
  });
}

function options(root: string, onStep?: (s: string) => Promise<void>) {
  return {
    layout: rootLayout(root),
    leaseMs: 600_000,
    clockSkewMs: 2_000,
    segmentRetentionMs: 0,
    maxBatchBytes: 8 << 20,
    holder: 'bench',
    now: Date.now,
    log: silentLogger,
    ...(onStep ? { onStep } : {}),
  };
}

const base = values.dir ?? tmpdir();
console.log(
  `bench:takeover — ${(SIZE / 1024 ** 3).toFixed(2)} GiB committed prefix under ${base}; ${gitDescription()}; load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

const root = await mkdtemp(join(base, 'efsink-takeover-'));
try {
  await buildRoot(root);
  const out = join(root, REL);
  let t = performance.now();
  await copyFile(out, join(root, 'baseline-copy'));
  const baselineMs = performance.now() - t;
  await rm(join(root, 'baseline-copy'));

  t = performance.now();
  const report = await assembleFile(options(root), REL);
  const takeoverMs = performance.now() - t;
  if (!report.tookOver || (await stat(out)).size <= SIZE)
    throw new Error(`no takeover: ${JSON.stringify(report)}`);

  // Interrupted half-way, then resumed: reset the state to "not released" and copy again.
  await rm(root, { recursive: true, force: true });
  await mkdir(root);
  await buildRoot(root);
  const half = Math.floor(SIZE / 2 / COPY_CHECKPOINT_BYTES);
  let seen = 0;
  t = performance.now();
  await assembleFile(
    options(root, async (s) => {
      if (s === 'copy-progress' && ++seen === half) throw new Error('interrupted');
    }),
    REL,
  ).catch((e: Error) => {
    if (e.message !== 'interrupted') throw e;
  });
  const firstMs = performance.now() - t;
  t = performance.now();
  const resumed = await assembleFile(options(root), REL);
  const resumeMs = performance.now() - t;
  if (!resumed.tookOver) throw new Error('resume did not take over');

  const mb = SIZE / 1024 ** 2;
  console.log(
    `baseline fs.copyFile            ${(baselineMs / 1000).toFixed(2)} s  ${(mb / (baselineMs / 1000)).toFixed(0)} MiB/s`,
  );
  console.log(
    `takeover pass (one go)          ${(takeoverMs / 1000).toFixed(2)} s  ${(mb / (takeoverMs / 1000)).toFixed(0)} MiB/s  ratio ${(takeoverMs / baselineMs).toFixed(2)}x baseline`,
  );
  console.log(
    `interrupted at ${half} checkpoints   ${(firstMs / 1000).toFixed(2)} s, then resumed pass ${(resumeMs / 1000).toFixed(2)} s (resumed/one-go ${(resumeMs / takeoverMs).toFixed(2)})`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
