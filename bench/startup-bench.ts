import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { floorHandler } from './baseline-variants.js';
import { generateStreams, type LambdaEvent, packCorpus } from './corpus.js';

/**
 * `npm run bench:startup`: the CLI's start-up and end-to-end cost as ratios measured in one run
 * (issue 13, "Targets"), every command a fresh `node` process, repetitions interleaved:
 *
 * - `efsink help` ÷ `node -e 0` (target ≤ 1.5);
 * - `efsink ingest cloudwatch` of one small file ÷ `node -e 0` (reported);
 * - `efsink ingest cloudwatch` of ten 10,000-event files ÷ the decode-only floor over the same ten
 *   files, both end to end: a fresh process that reads the files and lands them (target ≤ 1.0, aim
 *   0.8). The floor is `bench/baseline-variants.ts`'s floorHandler (base64 → gunzip → JSON.parse →
 *   frame → one writeFileSync per payload, no durability), run by this same bundle.
 *
 * Wall time is what the target says; user + system CPU time is printed too, because on a machine
 * others load the wall times of short processes mostly measure the queue.
 */

const SELF = fileURLToPath(import.meta.url);
const BIN = resolve(SELF, '../../../bin/efsink');

if (process.argv[2] === '--floor') {
  // The decode-only floor as a process: read each file, decode, frame, one write.
  const [, , , root, ...files] = process.argv;
  for (const [i, f] of files.entries())
    floorHandler(JSON.parse(readFileSync(f, 'utf8')) as LambdaEvent, root as string, i);
} else {
  main();
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function run(args: readonly string[]): Sample {
  const t0 = process.hrtime.bigint();
  // Node gives no per-child CPU time; a preload prints the child's own at exit (CPU_HOOK).
  const r = spawnSync(process.execPath, ['--require', CPU_HOOK, ...args], { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== null) {
    throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  const m = /cpu-ms (\d+(?:\.\d+)?)/.exec(r.stderr);
  return { wallMs, cpuMs: m ? Number(m[1]) : Number.NaN };
}

/** A preload that prints the process's own user + system CPU time on stderr at exit. */
let CPU_HOOK = '';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '15' },
      'big-reps': { type: 'string', default: '5' },
      dir: { type: 'string', default: tmpdir() },
    },
  });
  const reps = Number(values.reps);
  const bigReps = Number(values['big-reps']);
  const base = mkdtempSync(join(values.dir, 'efsink-startup-'));
  CPU_HOOK = join(base, 'cpu-hook.cjs');
  writeFileSync(
    CPU_HOOK,
    "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('cpu-ms ' + (u.user + u.system) / 1000 + '\\n'); });\n",
  );
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const load = loadavg()[0]?.toFixed(1);
  log(`bench:startup: ${reps} reps of the short commands, ${bigReps} of the 10-file runs, load ${load}`);

  // One small file (100 events) and ten 10,000-event files from the ingest bench's corpus.
  const streams = generateStreams(20_000);
  const small = packCorpus(streams, 100).events[0] as LambdaEvent;
  const big = packCorpus(streams, 10_000).events.slice(0, 10);
  const smallFile = join(base, 'small.json');
  writeFileSync(smallFile, JSON.stringify(small));
  const bigFiles = big.map((e, i) => {
    const f = join(base, `big-${i}.json`);
    writeFileSync(f, JSON.stringify(e));
    return f;
  });
  const fresh = (name: string) => {
    const d = join(base, `${name}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(d);
    return d;
  };

  const short: Record<'node' | 'help' | 'ingestSmall', Sample[]> = { node: [], help: [], ingestSmall: [] };
  for (let r = 0; r < reps; r++) {
    short.node.push(run(['-e', '0']));
    short.help.push(run([BIN, 'help']));
    const root = fresh('small');
    short.ingestSmall.push(run([BIN, 'ingest', 'cloudwatch', '--root', root, smallFile]));
    rmSync(root, { recursive: true, force: true });
  }
  const long: Record<'floor' | 'efsink', Sample[]> = { floor: [], efsink: [] };
  for (let r = 0; r < bigReps; r++) {
    for (const variant of r % 2 === 0 ? (['floor', 'efsink'] as const) : (['efsink', 'floor'] as const)) {
      const root = fresh(variant);
      long[variant].push(
        variant === 'floor'
          ? run([SELF, '--floor', root, ...bigFiles])
          : run([BIN, 'ingest', 'cloudwatch', '--root', root, ...bigFiles]),
      );
      rmSync(root, { recursive: true, force: true });
      spawnSync('sync');
    }
  }
  rmSync(base, { recursive: true, force: true });

  const row = (what: string, xs: Sample[], ys: Sample[], target: string) => {
    const wall = median(xs.map((x) => x.wallMs)) / median(ys.map((y) => y.wallMs));
    const cpu = median(xs.map((x) => x.cpuMs)) / median(ys.map((y) => y.cpuMs));
    return `| ${what} | ${median(xs.map((x) => x.wallMs)).toFixed(0)} ms vs ${median(ys.map((y) => y.wallMs)).toFixed(0)} ms | **${wall.toFixed(2)} ×** | ${median(xs.map((x) => x.cpuMs)).toFixed(0)} ms vs ${median(ys.map((y) => y.cpuMs)).toFixed(0)} ms | ${cpu.toFixed(2)} × | ${target} |`;
  };
  process.stdout.write(
    [
      `### ${new Date().toISOString().slice(0, 16)}Z — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${load} at start, ${loadavg()[0]?.toFixed(1)} at end`,
      '',
      '| what (median) | wall | wall ratio | CPU (user + sys) | CPU ratio | target |',
      '|---|---|---|---|---|---|',
      row('`efsink help` ÷ `node -e 0`', short.help, short.node, '≤ 1.5'),
      row(
        '`efsink ingest cloudwatch` 1 file of 100 events ÷ `node -e 0`',
        short.ingestSmall,
        short.node,
        '—',
      ),
      row(
        '`efsink ingest cloudwatch` 10 files × 10,000 events ÷ decode-only floor process',
        long.efsink,
        long.floor,
        '≤ 1.0 (aim 0.8)',
      ),
      '',
    ].join('\n'),
  );
}
