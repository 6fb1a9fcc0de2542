// `npm run bench:verify`: `verifyCloudWatch` over a 5,000,000-line corpus in bounded memory (issue 5,
// "Targets": state the bound and measure peak RSS), against a naive in-memory multiset comparison
// (`Map<line, count>`) as the baseline, each in its own child process. See bench/README.md.
//
// What is measured: the parent writes the assembled hourly files directly (as `efsink assemble` would
// leave them) with four injected faults; the source is a synthetic, deterministic event sequence served
// by an in-process stand-in for the SDK client (`send(FilterLogEventsCommand)` → pages of 10,000 SDK-shaped
// events). So the verify child runs verifyCloudWatch unchanged (paging through `fetchFilterPage`,
// framing, routing, hash-partitioned spill to disk, reading every file, comparing partition by
// partition) minus HTTP and JSON decoding of the source (5M events through the CloudWatch server would
// need ~5 GB in the server and ~1,000 s at 5 req/s).
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { tokenBucket } from '../src/backfill/rate-limiter.js';
import { DEFAULT_RETRY } from '../src/backfill/retry.js';
import { PARTITION_TARGET_BYTES, verifyCloudWatch } from '../src/backfill/verify-cloudwatch.js';
import { loadSinkConfig } from '../src/config/sink-config.js';
import { type AccessLogPresetName, iterateAccessLogEntries } from '../src/core/access-log/index.js';
import { hourOf, renderPath } from '../src/core/layout/path-template.js';
import { createSink } from '../src/io/sink.js';
import { silentLogger } from '../src/observability/logger.js';
import { gitDescription } from './machine.js';

const SELF = fileURLToPath(import.meta.url);
const GROUP = '/aws/apigateway/access';
const T0 = Date.UTC(2025, 2, 1, 0);
const HOUR = 3_600_000;
const POOL = 50_000;
const PAGE = 10_000;
const PRESETS: readonly AccessLogPresetName[] = ['rest-clf', 'http-json', 'rest-json', 'http-clf'];

interface Corpus {
  readonly lines: number;
  readonly streams: number;
  readonly hours: number;
}

/**
 * The source: event i = pool line (i mod 50,000; realistic lines of four presets from the seeded
 * generator) + ` #<i>` so that every line is distinct (as real request ids make them), timestamps
 * spread evenly over `hours`, streams round robin.
 */
class Source {
  private readonly pool: string[] = [];
  constructor(readonly c: Corpus) {
    for (const [k, preset] of PRESETS.entries()) {
      for (const { line } of iterateAccessLogEntries({
        seed: 900 + k,
        count: POOL / PRESETS.length,
        startEpochMs: T0,
        preset,
      }))
        this.pool.push(line);
    }
  }
  message(i: number): string {
    return `${this.pool[i % POOL]} #${i}`;
  }
  timestamp(i: number): number {
    return T0 + Math.floor((i * this.c.hours * HOUR) / this.c.lines);
  }
  stream(i: number): string {
    return `stream-${i % this.c.streams}`;
  }
}

/** Where the faults go (line indexes of the source), and the extra line. */
function faultsOf(c: Corpus) {
  return {
    missing: Math.floor(c.lines * 0.23),
    duplicated: Math.floor(c.lines * 0.47),
    flipped: Math.floor(c.lines * 0.71),
    /** Appended to the file of this line's hour. */
    extraAfter: Math.floor(c.lines * 0.9),
    extraLine: 'extra: a line no source event has\n',
    /** Byte flipped in the flipped line (an ASCII letter or digit: stays valid UTF-8, never \n). */
    flipAt: 2,
  };
}

function flip(line: string, at: number): string {
  return line.slice(0, at) + String.fromCharCode(line.charCodeAt(at) ^ 0x01) + line.slice(at + 1);
}

function relPathOf(template: ReturnType<typeof loadSinkConfig>['template'], ts: number): string {
  return renderPath(template, { logGroup: GROUP }, ts);
}

/** Writes the hourly files as assembly leaves them, with the four faults. */
function writeCorpus(root: string, c: Corpus): { bytes: number; files: number } {
  const template = loadSinkConfig({ root }, 'flags').template;
  const src = new Source(c);
  const f = faultsOf(c);
  let fd: number | undefined;
  let hour = -1;
  let parts: string[] = [];
  let partChars = 0;
  let bytes = 0;
  let files = 0;
  const flush = () => {
    if (fd === undefined || parts.length === 0) return;
    const b = Buffer.from(parts.join(''), 'utf8');
    writeSync(fd, b);
    bytes += b.length;
    parts = [];
    partChars = 0;
  };
  const put = (s: string) => {
    parts.push(s);
    partChars += s.length;
    if (partChars >= 4 * 1024 * 1024) flush();
  };
  for (let i = 0; i < c.lines; i++) {
    const ts = src.timestamp(i);
    if (hourOf(ts) !== hour) {
      flush();
      if (fd !== undefined) closeSync(fd);
      hour = hourOf(ts);
      const path = join(root, relPathOf(template, ts));
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'w');
      files++;
    }
    const line = `${src.message(i)}\n`;
    if (i === f.missing) continue;
    put(i === f.flipped ? flip(line, f.flipAt) : line);
    if (i === f.duplicated) put(line);
    if (i === f.extraAfter) put(f.extraLine);
  }
  flush();
  if (fd !== undefined) closeSync(fd);
  return { bytes, files };
}

/** A stand-in for CloudWatchLogsClient: FilterLogEvents pages of 10,000 SDK-shaped events from Source. */
function syntheticClient(src: Source): CloudWatchLogsClient {
  return {
    send: async (command: unknown) => {
      if (command instanceof DescribeLogStreamsCommand)
        return {
          logStreams: Array.from({ length: src.c.streams }, (_, s) => ({ logStreamName: `stream-${s}` })),
        };
      if (!(command instanceof FilterLogEventsCommand)) throw new Error('unexpected command');
      const from = Number(command.input.nextToken ?? '0');
      const to = Math.min(src.c.lines, from + PAGE);
      const events = [];
      for (let i = from; i < to; i++)
        events.push({
          eventId: String(i).padStart(56, '0'),
          logStreamName: src.stream(i),
          timestamp: src.timestamp(i),
          message: src.message(i),
          ingestionTime: src.timestamp(i),
        });
      return { events, ...(to < src.c.lines ? { nextToken: String(to) } : {}), $metadata: {} };
    },
    destroy() {},
  } as unknown as CloudWatchLogsClient;
}

interface ChildResult {
  readonly wallMs: number;
  readonly maxRssKb: number;
  readonly partitions?: number;
  readonly sourceLines: number;
  readonly storedLines: number;
  readonly missing: number;
  readonly extra: number;
  readonly duplicated: number;
  /** `class relPath base64(line) times`, sorted: what each mismatch class reports. */
  readonly found: string[];
}

async function verifyChild(root: string, tempDir: string, c: Corpus): Promise<ChildResult> {
  const src = new Source(c);
  const sink = createSink(loadSinkConfig({ root }, 'flags'), { log: silentLogger });
  const t0 = performance.now();
  const report = await verifyCloudWatch({
    logGroup: GROUP,
    startMs: T0,
    endMs: T0 + c.hours * HOUR,
    extraValues: {},
    template: loadSinkConfig({ root }, 'flags').template,
    layout: sink.layout,
    client: syntheticClient(src),
    pacing: {
      limiter: tokenBucket(1e9, 1e9),
      retry: { ...DEFAULT_RETRY, maxAttempts: 1, sleep: async () => {}, random: Math.random },
    },
    maxSamples: 10,
    tempDir,
  });
  const wallMs = performance.now() - t0;
  const r = report.comparison;
  const found: string[] = [];
  for (const [cls, m] of [
    ['missing', r.missing],
    ['extra', r.extra],
    ['duplicated', r.duplicated],
  ] as const)
    for (const s of m.samples) found.push(`${cls} ${s.relPath} ${s.base64} ${s.times}`);
  return {
    wallMs,
    maxRssKb: process.resourceUsage().maxRSS,
    partitions: report.partitions,
    sourceLines: r.sourceLines,
    storedLines: r.storedLines,
    missing: r.missing.count,
    extra: r.extra.count,
    duplicated: r.duplicated.count,
    found: found.sort(),
  };
}

/** The baseline: every line of both sides as a key of one Map (`relPath \0 line` → source − stored). */
async function naiveChild(root: string, c: Corpus): Promise<ChildResult> {
  const src = new Source(c);
  const template = loadSinkConfig({ root }, 'flags').template;
  const t0 = performance.now();
  const counts = new Map<string, number>();
  const files = new Set<string>();
  let sourceLines = 0;
  let storedLines = 0;
  for (let i = 0; i < c.lines; i++) {
    const rel = relPathOf(template, src.timestamp(i));
    files.add(rel);
    const key = `${rel}\0${src.message(i)}\n`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    sourceLines++;
  }
  for (const rel of [...files].sort()) {
    let carry = '';
    for await (const chunk of createReadStream(join(root, rel), {
      encoding: 'utf8',
      highWaterMark: 1 << 20,
    })) {
      const text = carry + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const key = `${rel}\0${text.slice(start, nl + 1)}`;
        counts.set(key, (counts.get(key) ?? 0) - 1);
        storedLines++;
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    if (carry !== '') {
      const key = `${rel}\0${carry}`;
      counts.set(key, (counts.get(key) ?? 0) - 1);
      storedLines++;
    }
  }
  let missing = 0;
  let extra = 0;
  let duplicated = 0;
  const found: string[] = [];
  for (const [key, d] of counts) {
    if (d === 0) continue;
    const nul = key.indexOf('\0');
    const rel = key.slice(0, nul);
    const line = Buffer.from(key.slice(nul + 1), 'utf8').toString('base64');
    // Without separate source/stored counts, "stored more often than the source" is extra or duplicated
    // depending on whether the source has the line at all: the source here has every line once.
    if (d > 0) {
      missing += d;
      found.push(`missing ${rel} ${line} ${d}`);
    } else if (key.slice(nul + 1).startsWith('extra:') || flipped(key.slice(nul + 1))) {
      extra -= d;
      found.push(`extra ${rel} ${line} ${-d}`);
    } else {
      duplicated -= d;
      found.push(`duplicated ${rel} ${line} ${-d}`);
    }
  }
  return {
    wallMs: performance.now() - t0,
    maxRssKb: process.resourceUsage().maxRSS,
    sourceLines,
    storedLines,
    missing,
    extra,
    duplicated,
    found: found.sort(),
  };
  function flipped(line: string): boolean {
    const m = / #(\d+)\n$/.exec(line);
    return m !== null && src.message(Number(m[1])) !== line.slice(0, -1);
  }
}

/** What a correct report says about the injected faults. */
function expectedFound(root: string, c: Corpus): string[] {
  const src = new Source(c);
  const f = faultsOf(c);
  const template = loadSinkConfig({ root }, 'flags').template;
  const rel = (i: number) => relPathOf(template, src.timestamp(i));
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const line = (i: number) => `${src.message(i)}\n`;
  return [
    `missing ${rel(f.missing)} ${b64(line(f.missing))} 1`,
    `missing ${rel(f.flipped)} ${b64(line(f.flipped))} 1`,
    `extra ${rel(f.flipped)} ${b64(flip(line(f.flipped), f.flipAt))} 1`,
    `extra ${rel(f.extraAfter)} ${b64(f.extraLine)} 1`,
    `duplicated ${rel(f.duplicated)} ${b64(line(f.duplicated))} 1`,
  ].sort();
}

function runChild(
  mode: 'verify' | 'naive',
  args: object,
  timeoutMs: number,
  nodeFlags: string[] = [],
): ChildResult | { error: string } {
  const r = spawnSync(process.execPath, [...nodeFlags, SELF, `--${mode}`, JSON.stringify(args)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0)
    return {
      error: `exit ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}: ${r.stderr.slice(-300)}`,
    };
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '5000000' },
      streams: { type: 'string', default: '4' },
      hours: { type: 'string', default: '10' },
      dir: { type: 'string', default: tmpdir() },
      'timeout-s': { type: 'string', default: '900' },
      'naive-heap-mb': { type: 'string', default: '16384' },
      'no-naive': { type: 'boolean' },
    },
  });
  const c: Corpus = {
    lines: Number(values.lines),
    streams: Number(values.streams),
    hours: Number(values.hours),
  };
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const base = mkdtempSync(join(values.dir as string, 'efsink-bench-verify-'));
  const root = join(base, 'root');
  const spill = join(base, 'spill');
  mkdirSync(spill, { recursive: true });
  try {
    const t0 = performance.now();
    const written = writeCorpus(root, c);
    log(
      `bench:verify: wrote ${fmt(c.lines)} lines (${fmt(written.bytes / 1e6)} MB, ${written.files} files) in ${fmt((performance.now() - t0) / 1000, 1)} s`,
    );
    spawnSync('sync');
    const timeoutMs = Number(values['timeout-s']) * 1000;
    const expected = expectedFound(root, c);
    log('bench:verify: verify child…');
    const verify = runChild('verify', { root, spill, c }, timeoutMs);
    log(`bench:verify: ${JSON.stringify({ ...verify, found: undefined })}`);
    let naive: ChildResult | { error: string } | undefined;
    if (values['no-naive'] !== true) {
      spawnSync('sync');
      log('bench:verify: naive child…');
      naive = runChild('naive', { root, c }, timeoutMs, [`--max-old-space-size=${values['naive-heap-mb']}`]);
      log(`bench:verify: ${JSON.stringify({ ...naive, found: undefined })}`);
    }
    const partitionsOf = (r: ChildResult) => r.partitions ?? 0;
    // Spilled records: side (1) + length (4) + relPath + NUL + line, for every source and stored line.
    const relLen = relPathOf(loadSinkConfig({ root }, 'flags').template, T0).length;
    const spillBytes = 2 * written.bytes + 2 * c.lines * (5 + relLen + 1);
    const row = (name: string, r: ChildResult | { error: string } | undefined, bound: string) => {
      if (r === undefined) return `| ${name} | not run | | | | | | | |`;
      if ('error' in r)
        return `| ${name} | **failed**: ${r.error.replace(/\n/g, ' ').replace(/\|/g, '/')} | | | | | | | |`;
      const exact = JSON.stringify(r.found) === JSON.stringify(expected);
      return `| ${name} | ${fmt(r.wallMs / 1000, 1)} | ${fmt(r.maxRssKb / 1024)} | ${r.partitions === undefined ? '–' : `${partitionsOf(r)} (≈ ${fmt(spillBytes / partitionsOf(r) / 1e6, 1)} MB each)`} | ${bound} | ${fmt(r.sourceLines)} / ${fmt(r.storedLines)} | ${r.missing} / ${r.extra} / ${r.duplicated} | ${exact ? 'yes' : `**no**: ${r.found.length} found`} |`;
    };
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const out = [
      `### ${new Date().toISOString().slice(0, 10)} — Node ${process.version}, ${cpus().length} × ${cpu}, dir ${values.dir}, ${gitDescription()}`,
      '',
      `- corpus: ${fmt(c.lines)} source lines in ${c.streams} streams over ${c.hours} h → ${written.files} hourly files, ${fmt(written.bytes / 1e6)} MB on disk; faults: line ${fmt(faultsOf(c).missing)} deleted, line ${fmt(faultsOf(c).duplicated)} written twice, one byte of line ${fmt(faultsOf(c).flipped)} flipped, one extra line; expected report: missing 2 (the deleted line, the flipped line's original), extra 2 (the extra line, the flipped line), duplicated 1`,
      `- verify spills ≈ ${fmt(spillBytes / 1e6)} MB of records (both sides) to disk`,
      '',
      '| variant | wall s | peak RSS MB | partitions | memory bound (stated) | source / stored lines | missing / extra / duplicated | exactly the injected faults |',
      '|---|--:|--:|--:|---|--:|--:|:-:|',
      row(
        'efsink verify (`verifyCloudWatch`)',
        verify,
        `spill buffers ≤ 32 MiB + one partition (target ${PARTITION_TARGET_BYTES / 2 ** 20} MiB; 2 × stored bytes ÷ 32 MiB partitions) + a digest entry per distinct record in it + one 10,000-event page + runtime`,
      ),
      row(
        'naive `Map<line, count>`',
        naive,
        'every distinct line of both sides as a JS string key: O(corpus)',
      ),
      '',
    ].join('\n');
    process.stdout.write(out);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === '--verify') {
  const a = JSON.parse(process.argv[3] as string) as { root: string; spill: string; c: Corpus };
  process.stdout.write(`${JSON.stringify(await verifyChild(a.root, a.spill, a.c))}\n`);
} else if (mode === '--naive') {
  const a = JSON.parse(process.argv[3] as string) as { root: string; c: Corpus };
  process.stdout.write(`${JSON.stringify(await naiveChild(a.root, a.c))}\n`);
} else {
  await main();
}
