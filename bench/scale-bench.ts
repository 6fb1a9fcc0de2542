import { execFileSync, spawnSync } from 'node:child_process';
import {
  type Dirent,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSinkConfig } from '../src/config/sink-config.js';
import type { LogEvent } from '../src/core/decode/cloudwatch-logs.js';
import type { PathTemplate } from '../src/core/layout/path-template.js';
import { planCloudWatchUnit } from '../src/core/write/plan-segments.js';
import { encodeSegmentHeader } from '../src/core/write/segment-file.js';
import { createSink, type Sink } from '../src/io/sink.js';
import { silentLogger } from '../src/observability/logger.js';
import { gitDescription } from './machine.js';
import { median } from './report.js';

/**
 * `npm run bench:scale` (issue 10, item 5): a busy hour in steady state. Cycles of landing U small
 * CloudWatch units (default 500 units of 20 events; one segment each) and then one assembly pass,
 * all into one hourly file, up to 200,000 segments of history. The measured passes are the built
 * CLI (`bin/efsink assemble`, a fresh process each, as a scheduled job would run it), interleaved
 * across roots that hold different histories; the history itself is built in process (landing
 * without fsync, passes through `sink.assemble()`), and is not what is measured.
 * See bench/README.md, "bench:scale".
 */

const SELF = fileURLToPath(import.meta.url);
const REPO = join(dirname(SELF), '..', '..');
const HOUR_START_MS = Date.UTC(2026, 10, 22, 10, 0, 0);
const LOG_GROUP = 'api-gateway-access-busy';
const OUTPUT_REL_PATH = `${LOG_GROUP}/2026/11/22/10.log`;

const { values } = parseArgs({
  options: {
    'units-per-pass': { type: 'string', default: '500' },
    'events-per-unit': { type: 'string', default: '20' },
    'message-bytes': { type: 'string', default: '130' },
    history: { type: 'string', default: '1000,30000,200000' },
    rounds: { type: 'string', default: '5' },
    'fill-per-pass': { type: 'string' },
    dir: { type: 'string', default: tmpdir() },
    cli: { type: 'string', default: join(REPO, 'bin', 'efsink') },
    'cli-args': { type: 'string', default: '' },
    'timeout-s': { type: 'string', default: '300' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const UNITS = positive(values['units-per-pass'], 'units-per-pass');
const EVENTS = positive(values['events-per-unit'], 'events-per-unit');
const MESSAGE_BYTES = positive(values['message-bytes'], 'message-bytes');
const HISTORY = (values.history as string).split(',').map((h) => positive(h, 'history'));
const ROUNDS = positive(values.rounds, 'rounds');
const FILL = positive(values['fill-per-pass'] ?? String(UNITS), 'fill-per-pass');
const TIMEOUT_MS = positive(values['timeout-s'], 'timeout-s') * 1000;
const CLI_ARGS = (values['cli-args'] as string).split(' ').filter(Boolean);
/** Units one root can hold, spread evenly over the hour so that every segment lands in one file. */
const UNIT_SLOTS = Math.max(...HISTORY) + (ROUNDS + 1) * UNITS;

/**
 * Loaded with `node --require` into each measured CLI process: at exit it records the peak RSS and
 * the bytes the process handed to write(2) (`wchar` of /proc/self/io), without touching the CLI.
 * Peak RSS is VmHWM of /proc/self/status, the high-water mark of this program's own memory: not
 * `process.resourceUsage().maxRSS`, which Linux carries over exec from the forked parent (so it
 * reported this bench's own RSS for small passes).
 */
const PROBE = `'use strict';
const fs = require('node:fs');
process.on('exit', () => {
  const io = fs.readFileSync('/proc/self/io', 'utf8');
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const w = /wchar: (\\d+)/.exec(io);
  const h = /VmHWM:\\s+(\\d+) kB/.exec(status);
  fs.writeFileSync(process.env.EFSINK_SCALE_PROBE_OUT, JSON.stringify({ maxRssKb: h ? Number(h[1]) : -1, wchar: w ? Number(w[1]) : -1 }));
});
`;

interface Root {
  readonly label: string;
  readonly root: string;
  readonly sink: Sink;
  readonly template: PathTemplate;
  /** Units landed so far (= segments: each unit is one segment of the one hourly file). */
  units: number;
  /** Units landed and not yet assembled. */
  pending: number;
  /** Framed bytes landed so far: what the hourly file must hold once everything is assembled. */
  bodyBytes: number;
}

interface Measured {
  readonly appended: number;
  readonly appendedBytes: number;
  readonly wallMs: number;
  /** Bytes the pass wrote besides the log bytes it appended: its state (journal, lease, claims, …). */
  readonly stateBytesWritten: number;
  /** Size of `.efsink/state` after the pass. */
  readonly stateBytes: number;
  /** The error code when the pass failed. */
  readonly failed?: string;
}

interface PassRow extends Measured {
  readonly round: number;
  readonly label: string;
  /** The history size this root stands for (its first measured pass starts there). */
  readonly target: number;
  /** Segments in the hourly file before the pass. */
  readonly history: number;
  readonly maxRssKb: number;
}

interface FillRow extends Measured {
  readonly label: string;
  readonly history: number;
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

await main();

async function main(): Promise<void> {
  if (HISTORY.length < 2) throw new Error('--history takes two or more segment counts, the early one first');
  const t0 = performance.now();
  const loadStart = loadAverage();
  const base = mkdtempSync(join(values.dir as string, 'efsink-scale-'));
  const probe = join(base, 'probe.cjs');
  writeFileSync(probe, PROBE);
  const log = (s: string) =>
    process.stderr.write(`[${fmt((performance.now() - t0) / 1000)} s, load ${loadAverage()}] ${s}\n`);

  // What start-up costs: a pass over an empty root (nothing to do) in a fresh process.
  const empty = openRoot(base, 'empty');
  const startup = [1, 2, 3].map(() => cliPass(empty, probe));
  const startupMs = median(startup.map((s) => s.wallMs));
  const startupRssKb = median(startup.map((s) => s.maxRssKb));
  log(`CLI start-up (a pass with nothing to do): ${fmt(startupMs)} ms, RSS ${fmt(startupRssKb / 1024)} MB`);

  // The early history gets a fresh root per round (cheap), so every early pass starts at exactly
  // HISTORY[0]; the later roots carry on from round to round (their history only grows, which can
  // only make a late ÷ early ratio larger, never flatter).
  const [early, ...later] = HISTORY as [number, ...number[]];
  const fills: FillRow[] = [];
  const lateRoots = later.map((h) => ({ target: h, root: openRoot(base, `h${h}`) }));
  for (const { target, root } of lateRoots) {
    await fill(root, target, (row) => {
      fills.push(row);
      const after = row.history + row.appended;
      if (Math.floor(after / 10_000) > Math.floor(row.history / 10_000) || after >= target)
        log(
          `fill ${root.label}: ${fmt(after)} segments; last pass ${fmt(row.wallMs)} ms, wrote ${fmt(row.stateBytesWritten)} B of state, state ${fmt(row.stateBytes)} B`,
        );
    });
  }

  const rows: PassRow[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const earlyRoot = openRoot(base, `h${early}-r${round}`);
    await fill(earlyRoot, early, () => {});
    const order = [{ target: early, root: earlyRoot }, ...lateRoots];
    // Rotate which history goes first, so that none always runs right after the same neighbour.
    for (let i = 0; i < order.length; i++) {
      const { target, root } = order[(i + round - 1) % order.length] as (typeof order)[number];
      const history = root.units - root.pending;
      landUnits(root, UNITS);
      execFileSync('sync'); // landing's dirty pages are flushed before, not during, the timed pass
      const pass = cliPass(root, probe);
      // A failed pass (the baseline can lose its lease under load) is shown and left out of the
      // ratios; the next pass appends what it left.
      if (pass.failed === undefined && pass.appended !== root.pending)
        throw new Error(
          `${root.label}: the pass appended ${pass.appended} segments, expected ${root.pending}`,
        );
      if (pass.failed === undefined) root.pending = 0;
      rows.push({ round, label: root.label, target, history, ...pass });
      log(
        `round ${round}, history ${fmt(history)}: ${pass.failed ?? `${fmt(pass.appended)} appended`} in ${fmt(pass.wallMs)} ms, wrote ${fmt(pass.stateBytesWritten)} B of state, state ${fmt(pass.stateBytes)} B, peak RSS ${fmt(pass.maxRssKb / 1024)} MB`,
      );
    }
    if (outputBytes(earlyRoot) !== earlyRoot.bodyBytes) throw new Error(`${earlyRoot.label}: bytes differ`);
    if (!values.keep) rmSync(earlyRoot.root, { recursive: true, force: true });
  }
  const bytesOk = lateRoots.every(({ root }) => outputBytes(root) === root.bodyBytes);
  if (!values.keep) rmSync(base, { recursive: true, force: true });
  const totalS = (performance.now() - t0) / 1000;
  process.stdout.write(
    report({ startupMs, startupRssKb, fills, rows, bytesOk, early, later, totalS, loadStart }),
  );
  if (values.json !== undefined)
    writeFileSync(values.json, JSON.stringify({ startupMs, startupRssKb, fills, rows, bytesOk }, null, 2));
}

function openRoot(base: string, label: string): Root {
  const root = join(base, label);
  mkdirSync(root, { recursive: true });
  // History building only: one commit per pass and a lease no pass outlives, so that even the
  // slow baseline (a journal rewritten whole) builds 200,000 segments. The measured CLI passes use
  // the defaults.
  const config = loadSinkConfig({ root, maxBatchBytes: 256 * 2 ** 20, leaseSeconds: 3600 }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  return { label, root, sink, template: config.template, units: 0, pending: 0, bodyBytes: 0 };
}

/** Builds history in process: cycles of landing FILL units and one pass, up to `target` segments. */
async function fill(r: Root, target: number, onPass: (row: FillRow) => void): Promise<void> {
  while (r.units < target) {
    const history = r.units;
    landUnits(r, Math.min(FILL, target - r.units));
    const wchar0 = wcharOfSelf();
    const t = performance.now();
    const report = await r.sink.assemble();
    const wallMs = performance.now() - t;
    const wrote = wcharOfSelf() - wchar0;
    if (report.failed.length > 0) throw new Error(`${r.label}: ${JSON.stringify(report.failed)}`);
    const appended = report.files.reduce((n, f) => n + f.appendedSegments, 0);
    const appendedBytes = report.files.reduce((n, f) => n + f.appendedBytes, 0);
    if (appended !== r.pending) throw new Error(`${r.label}: appended ${appended}, expected ${r.pending}`);
    r.pending = 0;
    const stateBytes = bytesUnder(r.sink.layout.state);
    onPass({
      label: r.label,
      history,
      appended,
      appendedBytes,
      wallMs,
      stateBytesWritten: wrote - appendedBytes,
      stateBytes,
    });
  }
}

/**
 * Lands `n` more units of EVENTS events each, as `efsink ingest cloudwatch` would plan them, but
 * written without temp file or fsync: building history fast is not what this bench measures.
 */
function landUnits(r: Root, n: number): void {
  for (let k = r.units; k < r.units + n; k++) {
    const plan = planCloudWatchUnit(
      {
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: LOG_GROUP,
        logStream: 'stage-prod',
        subscriptionFilters: ['efsink'],
        logEvents: eventsOf(k),
      },
      r.template,
    );
    for (const seg of plan.segments) {
      if (seg.relPath !== OUTPUT_REL_PATH) throw new Error(`unit ${k} routed to ${seg.relPath}`);
      const dir = join(r.sink.layout.segments, seg.relPath);
      // Every call: a pass that leaves the pending folder empty removes it (ADR 0013 retires
      // assembled segments at once).
      if (k === r.units) mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, seg.name),
        Buffer.concat([encodeSegmentHeader(seg.bytes.length, seg.meta), seg.bytes]),
      );
      r.bodyBytes += seg.bytes.length;
    }
  }
  r.units += n;
  r.pending += n;
}

/** Unit k's events: increasing CloudWatch-style ids, one timestamp per unit, spread over the hour. */
function eventsOf(k: number): LogEvent[] {
  const timestamp = HOUR_START_MS + Math.floor((k * 3_599_000) / UNIT_SLOTS);
  const time = new Date(timestamp).toISOString().slice(11, 19);
  const events: LogEvent[] = [];
  for (let j = 0; j < EVENTS; j++) {
    const seq = k * EVENTS + j + 1;
    const line = `198.51.100.${seq % 250} - - [22/Nov/2026:${time} +0000] "GET /v1/orders/${seq} HTTP/1.1" 200 ${1000 + (seq % 9000)} req-${seq.toString(16).padStart(12, '0')} `;
    const message = Buffer.from(line.padEnd(MESSAGE_BYTES, 'x').slice(0, MESSAGE_BYTES));
    events.push({ id: String(seq).padStart(56, '0'), timestamp, message });
  }
  return events;
}

/** One `efsink assemble --root` in a fresh process, timed from spawn to exit. */
function cliPass(r: Root, probe: string): Measured & { maxRssKb: number } {
  // The CLI exits 1 when a file failed (and prints `<relPath>: <CODE>: <message>` on stderr).
  const out = join(r.root, '..', `probe-${r.label}.json`);
  const t = performance.now();
  const res = spawnSync(
    process.execPath,
    ['--require', probe, values.cli as string, 'assemble', '--root', r.root, ...CLI_ARGS],
    {
      encoding: 'utf8',
      env: { ...process.env, EFSINK_SCALE_PROBE_OUT: out },
      timeout: TIMEOUT_MS,
      killSignal: 'SIGKILL',
    },
  );
  const wallMs = performance.now() - t;
  const m = /assembled (\d+) segment\(s\), (\d+) bytes/.exec(res.stdout);
  const failedCode = / ([A-Z][A-Z0-9_]+): /.exec(res.stderr)?.[1];
  if (m === null || (res.status !== 0 && !(res.status === 1 && failedCode !== undefined)))
    throw new Error(
      `efsink assemble exited ${res.status ?? res.signal} on ${r.label}: ${res.stdout}${res.stderr.slice(-2000)}`,
    );
  const appendedBytes = Number(m[2]);
  const probed = JSON.parse(readFileSync(out, 'utf8')) as { maxRssKb: number; wchar: number };
  const stdio = Buffer.byteLength(res.stdout) + Buffer.byteLength(res.stderr);
  return {
    appended: Number(m[1]),
    appendedBytes,
    wallMs,
    stateBytesWritten: probed.wchar - appendedBytes - stdio,
    stateBytes: bytesUnder(r.sink.layout.state),
    maxRssKb: probed.maxRssKb,
    ...(res.status === 0 ? {} : { failed: failedCode ?? 'failed' }),
  };
}

function wcharOfSelf(): number {
  return Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? Number.NaN);
}

/** Bytes of the files under `dir`, each inode once (ADR 0013's `done/` markers are hard links to batch records). */
function bytesUnder(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  const seen = new Set<number>();
  for (const e of entries) {
    if (!e.isFile()) continue;
    const st = statSync(join(e.parentPath, e.name));
    if (seen.has(st.ino)) continue;
    seen.add(st.ino);
    total += st.size;
  }
  return total;
}

function outputBytes(r: Root): number {
  return statSync(join(r.root, OUTPUT_REL_PATH)).size;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function positive(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got ${v}`);
  return n;
}

function report(x: {
  startupMs: number;
  startupRssKb: number;
  fills: readonly FillRow[];
  rows: readonly PassRow[];
  bytesOk: boolean;
  early: number;
  later: readonly number[];
  totalS: number;
  loadStart: string;
}): string {
  const cpu = cpus()[0]?.model.trim() ?? '?';
  const out = [
    `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — Node ${process.version}, ${cpus().length} × ${cpu}, dir ${values.dir}, ${gitDescription()}`,
    '',
    `- ${fmt(UNITS)} units of ${EVENTS} events (${MESSAGE_BYTES}-byte lines) landed, then one \`efsink assemble\` pass (${values.cli}${CLI_ARGS.length > 0 ? ` ${CLI_ARGS.join(' ')}` : ''}), default settings; history built in process, ${fmt(FILL)} segments per pass; ${ROUNDS} round(s), histories interleaved.`,
    `- CLI start-up (a pass with nothing to do, median of 3): ${fmt(x.startupMs)} ms, peak RSS ${fmt(x.startupRssKb / 1024)} MB.`,
    `- load average at start ${x.loadStart}, at end ${loadAverage()}; whole run ${fmt(x.totalS)} s; every hourly file holds exactly the landed bytes: ${x.bytesOk ? 'yes' : 'NO'}.`,
    '',
    '| round | history before the pass (segments) | appended | wall ms | wall − start-up ms | state bytes written | state size (bytes) | peak RSS MB |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...x.rows.map(
      (r) =>
        `| ${r.round} | ${fmt(r.history)} | ${r.failed === undefined ? fmt(r.appended) : `failed: ${r.failed}`} | ${fmt(r.wallMs)} | ${fmt(r.wallMs - x.startupMs)} | ${fmt(r.stateBytesWritten)} | ${fmt(r.stateBytes)} | ${fmt(r.maxRssKb / 1024)} |`,
    ),
    '',
    `| same pass, late ÷ early | wall (paired median · best/best) | wall − start-up (paired median) | state bytes written | peak RSS | target (wall) | met |`,
    '|---|--:|--:|--:|--:|--:|:-:|',
  ];
  for (const late of x.later) {
    const target = late <= 30_000 ? 1.25 : 1.5;
    const pairs: { e: PassRow; l: PassRow }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const ok = (r: PassRow) => r.round === round && r.failed === undefined;
      const e = x.rows.find((r) => ok(r) && r.target === x.early);
      const l = x.rows.find((r) => ok(r) && r.target === late);
      if (e && l) pairs.push({ e, l });
    }
    const paired = median(pairs.map(({ e, l }) => l.wallMs / e.wallMs));
    const best = Math.min(...pairs.map((p) => p.l.wallMs)) / Math.min(...pairs.map((p) => p.e.wallMs));
    const net = median(pairs.map(({ e, l }) => (l.wallMs - x.startupMs) / (e.wallMs - x.startupMs)));
    const state = median(pairs.map(({ e, l }) => l.stateBytesWritten / e.stateBytesWritten));
    const rss = median(pairs.map(({ e, l }) => l.maxRssKb / e.maxRssKb));
    out.push(
      `| ${fmt(late)} ÷ ${fmt(x.early)} | **${fmt(paired, 2)}** · ${fmt(best, 2)} | ${fmt(net, 2)} | ${fmt(state, 2)} | ${fmt(rss, 2)} | ≤ ${target} | ${paired <= target ? 'yes' : 'no'} |`,
    );
  }
  // The history-building passes (in process, so no start-up and no per-pass RSS): how a pass's
  // cost moves over the hour, at a few points.
  const points = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 50_000, 100_000, 150_000, 200_000, 300_000];
  const label = `h${Math.max(...x.later)}`;
  const curve = x.fills.filter(
    (f) => f.label === label && points.some((p) => f.history < p && f.history + f.appended >= p),
  );
  out.push(
    '',
    `History-building passes of the largest root (in process, ${fmt(FILL)} segments each):`,
    '',
    '| history before the pass | appended | wall ms | state bytes written | state size (bytes) |',
    '|--:|--:|--:|--:|--:|',
    ...curve.map(
      (f) =>
        `| ${fmt(f.history)} | ${fmt(f.appended)} | ${fmt(f.wallMs)} | ${fmt(f.stateBytesWritten)} | ${fmt(f.stateBytes)} |`,
    ),
    '',
  );
  return out.join('\n');
}
