import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type ChildArgs,
  type ChildResult,
  type ChildVariant,
  runChild,
  VARIANTS,
  type Variant,
} from './child.js';
import { type Corpus, generateStreams, packCorpus, STREAM_COUNT } from './corpus.js';
import { type CorpusMeasurements, corpusLines, resultsTable, syscallTable } from './report.js';
import { segmentBodyBytesUnder, visibleBytesUnder } from './segments.js';
import { ensureStrace, type SyscallCounts, traceOutputSyscalls } from './strace.js';

/**
 * `npm run bench`: naive appender vs decode-only floor vs efsink ingest (durable) vs efsink ingest +
 * assemble, side by side in one run, on the same pre-encoded corpus. Each measurement runs in its own
 * child process (per-variant peak RSS) and in a fresh directory; repetitions are interleaved with the
 * variant order rotated, so that load from other work on the machine spreads over all variants.
 * See bench/README.md.
 */

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const result = await runChild(JSON.parse(process.argv[3] as string) as ChildArgs);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  await main();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '5' },
      'events-per-stream': { type: 'string', default: '20000' },
      'payload-sizes': { type: 'string', default: '1000,10000' },
      dir: { type: 'string', default: tmpdir() },
      'no-strace': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      json: { type: 'string' },
    },
  });
  const reps = Number(values.reps);
  const perStream = Number(values['events-per-stream']);
  const sizes = values['payload-sizes'].split(',').map(Number);
  const base = mkdtempSync(join(values.dir, 'efsink-bench-'));
  const log = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };
  log(
    `bench: ${STREAM_COUNT} streams × ${perStream} events, payloads of ${sizes.join(' and ')}, ${reps} reps, in ${base}`,
  );

  const t0 = Date.now();
  const streams = generateStreams(perStream);
  const corpora = sizes.map((n) => packCorpus(streams, n));
  log(`bench: corpus generated and encoded in ${Date.now() - t0} ms`);

  const strace = values['no-strace'] ? { ok: false as const, reason: '--no-strace' } : ensureStrace();
  if (!strace.ok) log(`bench: syscall counts skipped: ${strace.reason}`);

  const all: CorpusMeasurements[] = [];
  for (const corpus of corpora) {
    const corpusFile = join(base, `corpus-${corpus.eventsPerPayload}.json`);
    writeFileSync(corpusFile, JSON.stringify(corpus));
    const spec = { corpusFile, warmupEvents: 10_000 };
    const runs = Object.fromEntries(VARIANTS.map((v) => [v, [] as ChildResult[]])) as Record<
      Variant,
      ChildResult[]
    >;
    const bytesOk: Partial<Record<Variant, boolean>> = {};
    const baselineRssKb = measure({ ...spec, variant: 'load', root: join(base, 'load') }).maxRssKb;
    for (let r = 0; r < reps; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length] as Variant);
      for (const variant of order) {
        const root = mkdtempSync(join(base, 'run-'));
        const result = measure({ ...spec, variant, root });
        runs[variant].push(result);
        if (r === 0) bytesOk[variant] = storedBytes(variant, root) === expectedBytes(variant, corpus);
        rmSync(root, { recursive: true, force: true });
        // Flush the dirty pages this run left (naive and floor never fsync) so the next run's
        // fsyncs do not pay for them.
        execFileSync('sync');
        log(
          `bench: ${corpus.eventsPerPayload}/payload rep ${r + 1} ${variant}: ${result.wallMs.toFixed(0)} ms`,
        );
      }
    }
    let syscalls: Partial<Record<Variant, SyscallCounts>> | undefined;
    if (strace.ok) {
      syscalls = {};
      for (const variant of VARIANTS) {
        const root = mkdtempSync(join(base, 'trace-'));
        const args: ChildArgs = { corpusFile, variant, root, warmupEvents: 0 };
        syscalls[variant] = traceOutputSyscalls(
          [process.execPath, SELF, '--child', JSON.stringify(args)],
          root,
          join(base, 'strace.log'),
        );
        rmSync(root, { recursive: true, force: true });
        rmSync(join(base, 'strace.log'), { force: true });
        log(`bench: traced ${corpus.eventsPerPayload}/payload ${variant}`);
      }
    }
    const { events: _events, ...meta } = corpus;
    all.push({ corpus: meta, runs, baselineRssKb, bytesOk, ...(syscalls ? { syscalls } : {}) });
    rmSync(corpusFile);
  }

  if (values['cpu-prof'] !== undefined) profile(values['cpu-prof'], corpora, base);
  rmSync(base, { recursive: true, force: true });

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const git = (...a: string[]): string => {
    try {
      return execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '?';
    }
  };
  const dirtySrc = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  const out = [
    `### ${new Date().toISOString().slice(0, 10)} — Node ${process.version}, ${cpus().length} × ${cpu}, ${process.platform} ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, dir ${values.dir}, commit ${git('rev-parse', '--short', 'HEAD')}${dirtySrc > 0 ? ` + ${dirtySrc} uncommitted change(s) under src/` : ''}`,
    '',
    corpusLines(all),
    '',
    resultsTable(all),
    '',
    strace.ok ? syscallTable(all) : `Syscall counts not measured: ${strace.reason}.`,
    '',
  ].join('\n');
  process.stdout.write(out);
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(all, null, 2));
}

function measure(args: ChildArgs, nodeFlags: readonly string[] = []): ChildResult {
  const r = spawnSync(process.execPath, [...nodeFlags, SELF, '--child', JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${args.variant} child failed (${r.status}): ${r.stderr.slice(-4000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult;
}

/** `--cpu-prof DIR`: one profiled run of efsink ingest per corpus (see bench/README.md, "Profile"). */
function profile(dir: string, corpora: readonly Corpus[], base: string): void {
  mkdirSync(dir, { recursive: true });
  for (const corpus of corpora) {
    const corpusFile = join(base, `profile-${corpus.eventsPerPayload}.json`);
    writeFileSync(corpusFile, JSON.stringify(corpus));
    const variant: ChildVariant = 'efsink-ingest';
    const root = mkdtempSync(join(base, 'prof-'));
    const name = `efsink-ingest-${corpus.eventsPerPayload}.cpuprofile`;
    measure({ corpusFile, variant, root, warmupEvents: 10_000 }, [
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--cpu-prof-name',
      name,
    ]);
    rmSync(root, { recursive: true, force: true });
  }
}

/** What each variant must have stored, in bytes (naive adds `\n` even after a trailing one). */
function expectedBytes(variant: Variant, c: Corpus): number {
  return variant === 'naive' ? c.logBytes + c.logEvents : c.framedBytes;
}

/** Visible files for naive, floor and assemble; landed segments for ingest alone. */
function storedBytes(variant: Variant, root: string): number {
  return variant === 'efsink-ingest'
    ? segmentBodyBytesUnder(join(root, '.efsink', 'segments'))
    : visibleBytesUnder(root);
}
