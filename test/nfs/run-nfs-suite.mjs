#!/usr/bin/env node
// `npm run test:nfs`: efsink on real NFSv4.1 clients (qemu guests) sharing one nfs-ganesha export.
//   node test/nfs/run-nfs-suite.mjs [--only naive,ops,a,b,c,d,lease,hrace,history] [--reps N]
// Needs root on Debian 12 (installs the lab's packages with apt if missing). Scenarios:
//   naive  two clients appendFileSync each event to the hour file (the design efsink replaces;
//          expected to be broken: reported, never failed)
//   ops    one client, phase by phase: NFS operations per delivery unit / assembled segment
//   a      two clients ingest different halves at once, each assembling repeatedly
//   b      two clients ingest the same units (redelivery racing itself), assembling repeatedly
//   c      client 2 powered off mid-ingest, then (next boot) mid-assembly; client 1 takes over
//   d      client 2's assembler SIGSTOPped holding a lease past its expiry, then SIGCONTinued
//   lease  two clients interleave release, break and claim at efsink's own steps (issue 11 item 3)
//   hrace  two clients ingest and assemble racing on an hour file that already holds thousands of
//          segments (issue 10)
//   history one client: NFS operations of one assembly pass (500 new segments) on an hourly file
//          that already holds 1,000 and 20,000 segments (issue 10: the count must not follow history)
// Every efsink scenario is checked on the host: the output files hold exactly the corpus lines once
// each, no torn line, no NUL byte, each segment contiguous and in order. Counts, never times.
// Output: $NFS_SUITE_OUT (default /tmp/efsink-nfs-suite): report.md, report.json, the export.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOutputs, internalState } from './check.mjs';
import { generateCorpus, LOG_GROUP, outputPath } from './corpus.mjs';
import { buildHistory } from './history.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const LAB = join(HERE, 'nfs-lab');
const GUEST = join(HERE, 'guest.mjs');
const OUT = process.env.NFS_SUITE_OUT ?? '/tmp/efsink-nfs-suite';
const EXPORT = join(OUT, 'export');
const WORK = join(OUT, 'work');
process.env.NFS_LAB_HOME ??= '/tmp/efsink-nfs-lab';
process.env.NFS_LAB_PORT ??= '12049';
const NFS_LEASE = 10; // ganesha's lease (s)
const EFSINK_LEASE = Number(process.env.NFS_SUITE_EFSINK_LEASE ?? 6); // efsink assembly lease (s)

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ONLY = opt('--only')?.split(',');
const REPS = Number(opt('--reps') ?? process.env.NFS_SUITE_REPS ?? 2);
const WRITE_OPS = ['OPEN', 'OPEN_NOATTR', 'CREATE', 'WRITE', 'COMMIT', 'CLOSE', 'RENAME', 'LINK', 'REMOVE'];
const WRITE_OPS_ALL = [...WRITE_OPS, 'SETATTR', 'LOCK', 'LOCKU'];

const say = (m) => console.log(`test:nfs: ${m}`);
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}
const lab = (args, opts = {}) => sh(LAB, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });

// ---- preflight --------------------------------------------------------------------------------
if (process.getuid?.() !== 0) {
  console.error('test:nfs needs root (apt, ganesha, qemu)');
  process.exit(2);
}
if (!ONLY?.every((id) => id === 'naive') && !existsSync(join(REPO, 'dist/src/cli/main.js'))) {
  say('dist/ missing: npm run build');
  const b = sh('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}
say(`lab home ${process.env.NFS_LAB_HOME}, port ${process.env.NFS_LAB_PORT}, output ${OUT}`);
if (lab(['setup']).status !== 0) process.exit(1);
lab(['down']); // a server this lab left behind (its own recorded pid only)
rmSync(OUT, { recursive: true, force: true });
mkdirSync(EXPORT, { recursive: true });
mkdirSync(WORK, { recursive: true });

// ---- corpus -------------------------------------------------------------------------------------
// 4 streams x 10 units x 25 events = 1000 lines over ~2 h: 3 hour files, ~48 segments.
const corpus = generateCorpus({
  dir: join(OUT, 'corpus'),
  streams: 4,
  unitsPerStream: 10,
  eventsPerUnit: 25,
  spacingMs: 30_000,
});
const allFiles = corpus.units.map((u) => u.file);
// Larger units (200 events each) for the ops scenario: cost per unit must not grow with unit size.
const bigCorpus = generateCorpus({
  dir: join(OUT, 'corpus-big'),
  streams: 2,
  unitsPerStream: 5,
  eventsPerUnit: 200,
  spacingMs: 4_000,
  seed: 2,
});
// The history scenario: roots holding HISTORY segments in one hour file (built on the host), then
// cycles of HISTORY_UNITS new 20-event units (ingested by the guest) and one measured pass each.
const HISTORY = (process.env.NFS_SUITE_HISTORY ?? '1000,20000').split(',').map(Number);
const HISTORY_UNITS = Number(process.env.NFS_SUITE_HISTORY_UNITS ?? 500);
const HISTORY_CYCLES = Number(process.env.NFS_SUITE_HISTORY_CYCLES ?? 2);
const HISTORY_HOUR = Date.UTC(2025, 7, 6, 10, 0, 0);
const historyCorpus = generateCorpus({
  dir: join(OUT, 'corpus-history'),
  streams: 1,
  unitsPerStream: HISTORY_UNITS * HISTORY_CYCLES,
  eventsPerUnit: 20,
  startMs: HISTORY_HOUR + 45 * 60_000, // after the history (built into minutes 0-40), same hour
  spacingMs: 5,
  seed: 3,
});
const historyCycles = Array.from({ length: HISTORY_CYCLES }, (_, c) =>
  historyCorpus.units.slice(c * HISTORY_UNITS, (c + 1) * HISTORY_UNITS).map((u) => u.file),
);
const historyRoot = (h) => `history/h${h}`;
// The race on a long hour (issue 10): two clients ingest and assemble new units into an hour file
// that already holds RACE_HISTORY segments (host-built, like the history scenario's roots).
const RACE_HISTORY = Number(process.env.NFS_SUITE_RACE_HISTORY ?? 3000);
const RACE_ROOT = 'hrace/rep1';
const raceCorpus = generateCorpus({
  dir: join(OUT, 'corpus-hrace'),
  streams: 2,
  unitsPerStream: 40,
  eventsPerUnit: 20,
  startMs: HISTORY_HOUR + 50 * 60_000, // after the history (minutes 0-40), same hour
  spacingMs: 50,
  seed: 4,
});
const raceFiles = raceCorpus.units.map((u) => u.file);
// The lease scenario works on ONE hour file, so that both clients' holders, releasers and breakers
// meet on the same file (whatever the CLI's concurrency across files).
const leaseCorpus = generateCorpus({
  dir: join(OUT, 'corpus-lease'),
  streams: 2,
  unitsPerStream: 12,
  eventsPerUnit: 25,
  startMs: Date.UTC(2025, 7, 6, 12, 0, 0),
  spacingMs: 1000,
  seed: 5,
});
const leaseFiles = leaseCorpus.units.map((u) => u.file);
const leaseHalves = {
  1: leaseFiles.filter((_, i) => i % 2 === 0),
  2: leaseFiles.filter((_, i) => i % 2 === 1),
};
/** Manifests of the history roots: the host-built history plus the guest's units. */
const historyManifests = {};
const halves = { 1: allFiles.filter((_, i) => i % 2 === 0), 2: allFiles.filter((_, i) => i % 2 === 1) };
say(
  `corpus: ${corpus.units.length} units, ${corpus.events} lines, ${Object.keys(corpus.expected).length} output files, ${corpus.segments} segments`,
);

// ---- scenarios ---------------------------------------------------------------------------------
const expectedBytes = Object.values(corpus.expected).reduce(
  (n, lines) => n + lines.reduce((m, l) => m + Buffer.byteLength(l) + 1, 0),
  0,
);
const common = {
  lease: EFSINK_LEASE,
  retention: 0,
  expectedBytes,
  outputs: Object.keys(corpus.expected),
  batches: 3,
  maxPasses: 30,
  passSleepMs: 1000,
  passBudgetMs: 150_000,
};
const reps = (prefix, n, extra = () => ({})) =>
  Array.from({ length: n }, (_, i) => ({ root: `${prefix}/rep${i + 1}`, ...extra(i) }));
const SCENARIOS = [
  {
    id: 'naive',
    title: 'naive appendFileSync per event, 2 clients, different halves',
    informational: true,
    runs: [{ clients: 2, cfg: { scenario: 'naive', reps: reps('naive', 1, () => ({ units: halves })) } }],
  },
  {
    id: 'ops',
    title: 'op counts, 1 client: ingest (3 units one per process, rest batched), assemble, redeliver, naive',
    runs: [
      {
        clients: 1,
        cfg: {
          scenario: 'ops',
          singleUnits: 3,
          naiveRoot: 'ops/naive',
          bigRoot: 'ops/big',
          bigUnits: bigCorpus.units.map((u) => u.file),
          reps: reps('ops', 1, () => ({ root: 'ops/efsink', units: { 1: allFiles } })),
        },
      },
    ],
    extraChecks: [
      { root: 'ops/naive', informational: true },
      { root: 'ops/big', informational: false, manifest: bigCorpus },
    ],
  },
  {
    id: 'a',
    title: 'two clients ingest different halves concurrently, both assemble repeatedly',
    runs: [{ clients: 2, cfg: { scenario: 'race', reps: reps('a', REPS, () => ({ units: halves })) } }],
  },
  {
    id: 'b',
    title: 'two clients ingest the same units (redelivery racing itself), both assemble repeatedly',
    runs: [
      {
        clients: 2,
        cfg: {
          scenario: 'redeliver',
          reps: reps('b', REPS, () => ({ units: { 1: allFiles, 2: allFiles } })),
        },
      },
    ],
  },
  {
    id: 'c',
    title: 'client 2 powered off mid-ingest (boot 1), then mid-assembly (boot 2); client 1 takes over',
    runs: [
      {
        clients: 2,
        expectCrash: 2,
        cfg: {
          scenario: 'crash-ingest',
          crashAfterSegments: Math.floor(corpus.segments / 6),
          reps: reps('c', 1, () => ({ units: halves })),
        },
      },
      {
        clients: 2,
        expectCrash: 2,
        // crash right after the fsync of appended bytes, before the journal commit: a torn tail on the server
        cfg: { scenario: 'crash-assemble', reps: reps('c', 1, () => ({ units: halves, pauseAt: 'synced' })) },
      },
    ],
  },
  {
    id: 'd',
    title: "client 2's assembler SIGSTOPped past the lease, client 1 takes over, then SIGCONT",
    runs: [
      {
        clients: 2,
        cfg: {
          scenario: 'pause',
          // Segments are kept longer than any pause here (the retention bound of ADR 0002), so a stale
          // holder's clean-up cannot delete what the new holder still has to append.
          retention: 120,
          reps: reps('d', Math.max(2, REPS), (i) => ({
            units: halves,
            // stopped right after writing (dirty pages) / right after fsync, before the journal commit;
            // rep 1 continues once client 1 has finished, later reps after 2 x lease + 2 s
            pauseAt: i % 2 === 0 ? 'appended' : 'synced',
            resume: i === 0 ? 'after-takeover' : 'timed',
            pauseMs: (EFSINK_LEASE * 2 + 2) * 1000,
          })),
        },
      },
    ],
  },
  {
    id: 'lease',
    title: 'two clients interleave release, break and claim on the same hour file (issue 11 item 3)',
    manifests: { 'lease/release': leaseCorpus, 'lease/break': leaseCorpus },
    runs: [
      {
        clients: 2,
        cfg: {
          scenario: 'lease',
          // Long enough that client 1's claim is still live when client 2's fresh pass looks at it
          // (release rep); the break rep waits it out.
          lease: 20,
          retention: 0,
          reps: [
            { root: 'lease/release', kind: 'release', units: leaseHalves },
            { root: 'lease/break', kind: 'break', units: leaseHalves },
          ],
        },
      },
    ],
  },
  {
    id: 'hrace',
    title: `two clients ingest and assemble racing on an hour file that already holds ${RACE_HISTORY} segments (issue 10)`,
    manifests: historyManifests,
    runs: [
      {
        clients: 2,
        cfg: {
          scenario: 'history-race',
          retention: 3600, // the hour's segments all retired and kept, as in production
          expectedBytes: undefined, // set below, once the history is built
          outputs: undefined,
          reps: [
            {
              root: RACE_ROOT,
              units: {
                1: raceFiles.filter((_, i) => i % 2 === 0),
                2: raceFiles.filter((_, i) => i % 2 === 1),
              },
            },
          ],
        },
      },
    ],
  },
  {
    id: 'history',
    title: `one client: NFS operations of one assembly pass (${HISTORY_UNITS} new segments) vs segments already in the hour file`,
    manifests: historyManifests,
    runs: [
      {
        clients: 1,
        cfg: {
          scenario: 'history',
          // A 1 h retention keeps the whole hour's segments, as in production; a lease no pass of the
          // old design outlives here (what is measured is operations, not time).
          lease: 120,
          retention: 3600,
          cycles: historyCycles,
          reps: HISTORY.map((h) => ({ root: historyRoot(h), history: h })),
        },
      },
    ],
  },
];

function runScenarioRun(s, run, k) {
  const name = `${s.id}${s.runs.length > 1 ? `-${k + 1}` : ''}`;
  const cfg = { ...common, ...run.cfg, sync: `sync/${name}` };
  mkdirSync(join(EXPORT, cfg.sync), { recursive: true });
  for (let c = 1; c <= run.clients; c++) writeFileSync(join(EXPORT, cfg.sync, `c${c}`), '[]');
  const cfgFile = join(WORK, `${name}.json`);
  writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
  say(`--- ${name}: ${s.title}`);
  const r = lab(
    [
      'run',
      '--clients',
      String(run.clients),
      '--mount',
      EXPORT,
      '--timeout',
      '420',
      '--',
      process.execPath,
      GUEST,
      cfgFile,
    ],
    {
      cwd: REPO,
      timeout: 480_000,
    },
  );
  const runDir = realpathSync(join(process.env.NFS_LAB_HOME, 'runs', 'latest'));
  const clients = [];
  for (let c = 1; c <= run.clients; c++) {
    const stdout = readFileSync(join(runDir, `c${c}`, 'stdout'), 'utf8');
    const results = stdout
      .split('\n')
      .filter((l) => l.startsWith('RESULT '))
      .map((l) => JSON.parse(l.slice(7)));
    for (const l of stdout.split('\n')) if (l && !l.startsWith('RESULT ')) console.log(`  [c${c}] ${l}`);
    const status = readFileSync(join(runDir, `c${c}`, 'status'), 'utf8');
    const rc = /^rc (\S+)/m.exec(status)?.[1] ?? 'none';
    const opsTxt = existsSync(join(runDir, `c${c}`, 'ops.txt'))
      ? readFileSync(join(runDir, `c${c}`, 'ops.txt'), 'utf8')
      : '';
    const ops = Object.fromEntries(
      opsTxt
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '))
        .map(([op, n]) => [op, Number(n)]),
    );
    clients.push({ client: c, rc, results, ops });
  }
  const summary = readFileSync(join(runDir, 'summary.txt'), 'utf8');
  const after = {};
  for (const rep of cfg.reps) {
    const c = checkOutputs(join(EXPORT, rep.root), s.manifests?.[rep.root] ?? corpus);
    after[rep.root] = { lines: c.lines, exact: c.exact, ...internalState(join(EXPORT, rep.root)) };
    say(`  after ${name}: ${rep.root}: ${JSON.stringify(after[rep.root])}`);
  }
  const guestLog = clients
    .map((c) => readFileSync(join(runDir, `c${c.client}`, 'stdout'), 'utf8'))
    .join('\n');
  const problems = [];
  clients.forEach((c) => {
    const crashed = run.expectCrash === c.client;
    if (crashed && c.rc !== 'none') problems.push(`client ${c.client} was expected to power off, rc ${c.rc}`);
    if (!crashed && c.rc !== '0') problems.push(`client ${c.client} exited rc ${c.rc}`);
    for (const res of c.results) {
      for (const rc of res.ingestRcs ?? []) if (rc !== 0) problems.push(`client ${c.client} ingest rc ${rc}`);
      // Issue 10: a pass's NFS operations must not follow the history of its hour file. Counts, not
      // times: measured 1.00 (5,611 vs 5,697 operations for 500 segments at 1,000 vs 20,000).
      if (res.historyPasses?.length) {
        const histories = [...new Set(res.historyPasses.map((p) => p.root))];
        const meanOps = (root) => {
          const ps = res.historyPasses.filter((p) => p.root === root);
          return ps.reduce((n, p) => n + Object.values(p.ops).reduce((a, b) => a + b, 0), 0) / ps.length;
        };
        const means = histories.map(meanOps);
        if (Math.max(...means) > 1.25 * Math.min(...means))
          problems.push(
            `NFS operations per pass differ with history: ${histories.map((h, k) => `${h} ${Math.round(means[k])}`).join(', ')}`,
          );
      }
      for (const p of res.historyPasses ?? [])
        if (p.rc !== 0 || p.segments !== p.expected)
          problems.push(
            `client ${c.client} ${p.root} cycle ${p.cycle}: rc ${p.rc}, ${p.segments}/${p.expected} appended`,
          );
      for (const p of res.passes ?? [])
        if (p.rc !== 0) problems.push(`client ${c.client} assemble rc ${p.rc}`);
      // F1 (FINDINGS.md): a holder paused past its lease must not report its appends as done
      if (res.resumedRc === 0) problems.push(`client ${c.client} rep ${res.rep}: the fenced holder exited 0`);
      for (const e of res.steps ?? [])
        if (e.what.startsWith('PROBLEM')) problems.push(`client ${c.client} rep ${res.rep}: ${e.what}`);
      if (res.finished === false)
        problems.push(`client ${c.client} rep ${res.rep}: segments still pending after the pass budget`);
    }
  });
  // The release interleaving: client 1 held a live claim (stopped mid-batch) while client 2's
  // releaser finished and a fresh pass of client 2 ran. Both going on to finish as writers, with
  // neither fenced nor busy, is two writers on one file (issue 11 item 3).
  for (const rep of cfg.reps.filter((r) => r.kind === 'release')) {
    const ev = (c, what) =>
      clients[c - 1]?.results.find((r) => r.root === rep.root)?.steps?.find((e) => e.what === what);
    const fresh = ev(2, 'fresh pass');
    const holder = ev(1, 'holder');
    if (fresh && holder && fresh.busy === 0 && holder.rc === 0)
      problems.push(
        `${rep.root}: client 2's pass and client 1's holder both wrote (neither busy nor fenced)`,
      );
    if (!fresh || !holder) problems.push(`${rep.root}: the interleaving did not run (see the guest log)`);
  }
  if (/NOT mid-|assembler not stopped/.test(guestLog))
    problems.push('the crash/pause did not happen mid-way (see the guest log)');
  return { name, labRc: r.status, runDir, summary, clients, problems, after };
}

function fmtOps(o) {
  return Object.entries(o ?? {})
    .filter(([k]) => k !== 'SEQUENCE')
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
const sum = (o, keys) => (keys ? keys : Object.keys(o ?? {})).reduce((n, k) => n + (o?.[k] ?? 0), 0);
const per = (n, d) => (d ? Math.round((n / d) * 100) / 100 : 0);

const report = {
  corpus: { units: corpus.units.length, lines: corpus.events, segments: corpus.segments },
  scenarios: [],
};
// The history scenario (issue 10): 2,000 ingests and passes over 1,000 and 20,000 segments of history;
// 93 s on a loaded 2-core machine (2026-12-02), so it is part of every run.
const WITH_HISTORY = !ONLY || ONLY.includes('history');
let failed = false;
const started = Date.now();
try {
  if (!ONLY || ONLY.includes('hrace')) {
    const t = Date.now();
    const units = await buildHistory({
      root: join(EXPORT, RACE_ROOT),
      units: RACE_HISTORY,
      startMs: HISTORY_HOUR,
      endMs: HISTORY_HOUR + 40 * 60_000,
    });
    const manifest = manifestOf([...units, ...raceCorpus.units]);
    historyManifests[RACE_ROOT] = manifest;
    const hrace = SCENARIOS.find((x) => x.id === 'hrace').runs[0].cfg;
    hrace.outputs = Object.keys(manifest.expected);
    hrace.expectedBytes = Object.values(manifest.expected).reduce(
      (n, lines) => n + lines.reduce((m, l) => m + Buffer.byteLength(l) + 1, 0),
      0,
    );
    say(`hrace: built ${RACE_ROOT} (${RACE_HISTORY} segments) in ${Math.round((Date.now() - t) / 1000)} s`);
  }
  if (WITH_HISTORY) {
    for (const h of HISTORY) {
      const t = Date.now();
      const units = await buildHistory({
        root: join(EXPORT, historyRoot(h)),
        units: h,
        startMs: HISTORY_HOUR,
        endMs: HISTORY_HOUR + 40 * 60_000,
      });
      historyManifests[historyRoot(h)] = manifestOf([...units, ...historyCorpus.units]);
      say(`history: built ${historyRoot(h)} (${h} segments) in ${Math.round((Date.now() - t) / 1000)} s`);
    }
  }
  if (lab(['up', '--export', EXPORT, '--lease', String(NFS_LEASE)]).status !== 0)
    throw new Error('nfs-lab up failed');
  for (const s of SCENARIOS) {
    if (ONLY && !ONLY.includes(s.id)) continue;
    if (s.id === 'history' && !WITH_HISTORY) continue;
    const runs = s.runs.map((run, k) => runScenarioRun(s, run, k));
    const roots = [...new Set(s.runs.flatMap((run) => run.cfg.reps.map((r) => r.root)))];
    const checks = [
      ...roots.map((root) => ({ root, informational: !!s.informational })),
      ...(s.extraChecks ?? []),
    ].map(({ root, informational, manifest }) => ({
      root,
      informational,
      ...checkOutputs(join(EXPORT, root), manifest ?? s.manifests?.[root] ?? corpus),
      ...internalState(join(EXPORT, root)),
    }));
    const problems = runs.flatMap((r) => r.problems);
    const ok =
      checks.every((c) => c.informational || (c.exact && c.invalidSegments === 0 && c.quarantined === 0)) &&
      (s.informational || problems.length === 0);
    if (!ok) failed = true;
    const entry = { id: s.id, title: s.title, ok, informational: !!s.informational, problems, runs, checks };
    report.scenarios.push(entry);
    say(
      `${s.id}: ${s.informational ? 'INFO' : ok ? 'PASS' : 'FAIL'} ${problems.length ? `(${problems.join('; ')})` : ''}`,
    );
    for (const c of checks) {
      say(
        `  ${c.root}: lines ${c.lines}/${c.expectedLines}, bytes ${c.bytes}/${c.expectedBytes}, missing ${c.missing}, ` +
          `dup ${c.duplicates}, torn/foreign ${c.foreign}, misplaced ${c.misplaced}, NUL ${c.nulBytes}, ` +
          `partial tail ${c.partialTail}, broken segments ${c.brokenSegments}, stream inversions ${c.streamInversions}, ` +
          `pending segments ${c.pendingSegments} (incomplete ${c.invalidSegments}), quarantined ${c.quarantined}, other files in segments ${c.otherFilesInSegments}`,
      );
    }
  }
} catch (e) {
  failed = true;
  console.error(`test:nfs: ${e.stack ?? e}`);
} finally {
  lab(['down']);
}

// ---- report ----------------------------------------------------------------------------------------
const md = [];
md.push(`# efsink on NFSv4.1 (nfs-lab): ${new Date().toISOString()}`, '');
md.push(
  `Corpus: ${corpus.units.length} CloudWatch units, ${corpus.events} lines, ${Object.keys(corpus.expected).length} hour files, ` +
    `${corpus.segments} segments. ganesha lease ${NFS_LEASE} s, efsink lease ${EFSINK_LEASE} s.`,
  '',
);
md.push(
  '| scenario | result | lines / expected | missing | dup | torn | NUL | broken seg | inversions | pending seg |',
);
md.push('|---|---|---|---|---|---|---|---|---|---|');
for (const s of report.scenarios) {
  for (const c of s.checks) {
    const res = c.informational ? (c.exact ? 'exact (info)' : 'broken (info)') : s.ok ? 'PASS' : 'FAIL';
    md.push(
      `| ${s.id} ${c.root} | ${res} | ${c.lines} / ${c.expectedLines} | ${c.missing} | ${c.duplicates} | ${c.foreign + c.misplaced + c.partialTail} | ${c.nulBytes} | ${c.brokenSegments} | ${c.streamInversions} | ${c.pendingSegments} |`,
    );
  }
}
md.push('', '## NFS operations per client (whole command, from the lab)', '');
for (const s of report.scenarios) {
  for (const r of s.runs) {
    md.push(`### ${r.name}`, '', '```', r.summary.trim(), '```', '');
    for (const c of r.clients) {
      for (const res of c.results) {
        for (const [phase, o] of Object.entries(res.ops ?? {})) {
          md.push(`- c${c.client} rep ${res.rep} ${phase}: total ${sum(o)} (${fmtOps(o)})`);
        }
        if (res.passes) {
          const t = (k) => res.passes.reduce((n, p) => n + (p[k] ?? 0), 0);
          md.push(
            `- c${c.client} rep ${res.rep} assembly passes: ${res.passes.length}, segments appended ${t('segments')}, ` +
              `busy skips ${t('busy')}, takeovers logged ${t('tookOver')}, torn tails cut ${t('truncated')}`,
          );
        }
        for (const e of res.steps ?? [])
          md.push(
            `- c${c.client} rep ${res.rep} (${res.kind}) ${e.what}: ${JSON.stringify(Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'what')))}`,
          );
        if (res.resumedRc !== undefined)
          md.push(
            `- c${c.client} rep ${res.rep} paused at ${res.pauseAt} (${res.resume}); resumed holder rc ${res.resumedRc}: ${res.resumedStdout} ${res.resumedStderr}`,
          );
      }
    }
    md.push('');
  }
}
const opsRes = report.scenarios.find((s) => s.id === 'ops')?.runs[0]?.clients[0]?.results[0];
if (opsRes) {
  const p = opsRes.ops;
  const row = (what, o, d, unit) =>
    `| ${what} | ${d} ${unit} | ${per(sum(o), d)} | ${per(sum(o, WRITE_OPS_ALL), d)} | ${fmtOps(o)} |`;
  md.push('## Cost per unit (1 client, from /proc/self/mountstats)', '');
  md.push(
    '| step | per | all ops / each | write-type ops / each | breakdown (totals) |',
    '|---|---|---|---|---|',
  );
  md.push(
    row('ingest, one unit per process (Lambda-like)', p.ingestOnePerProcess, opsRes.singleUnits, 'units'),
  );
  md.push(row('ingest, batch in one process', p.ingestBatch, opsRes.batchUnits, 'units'));
  md.push(row('assemble (all passes)', p.assemble, corpus.segments, 'segments'));
  md.push(row('redelivery of every unit', p.redeliverBatch, opsRes.units, 'units'));
  md.push(row('assemble pass with nothing to do', p.assembleNoop, 1, 'pass'));
  md.push(row('naive appendFileSync per event', p.naive, opsRes.events, 'events'));
  if (p.ingestBigBatch) {
    const n = bigCorpus.units.length;
    md.push(row(`ingest, batch, ${bigCorpus.events / n}-event units`, p.ingestBigBatch, n, 'units'));
    md.push(
      row(`assemble, ${bigCorpus.events / n}-event units`, p.assembleBig, bigCorpus.segments, 'segments'),
    );
  }
  md.push('', `write-type = ${WRITE_OPS_ALL.join(', ')}.`, '');
  report.costs = p;
}
const historyRes = report.scenarios.find((s) => s.id === 'history')?.runs[0]?.clients[0]?.results[0];
if (historyRes) {
  const rows = historyRes.historyPasses;
  md.push('## One assembly pass vs the history of its hour file (1 client, from /proc/self/mountstats)', '');
  md.push(
    `Each pass appends ${HISTORY_UNITS} new segments (20-event units) to one hourly file that already holds the segments in the first column (retention 1 h: all still there). Target (issue 10): the count does not depend on history.`,
    '',
    '| history before the pass | appended | all ops | write-type ops | READDIR | READ | WRITE | breakdown |',
    '|--:|--:|--:|--:|--:|--:|--:|---|',
  );
  for (const p of rows)
    md.push(
      `| ${p.history} | ${p.segments} | ${sum(p.ops)} | ${sum(p.ops, WRITE_OPS_ALL)} | ${p.ops.READDIR ?? 0} | ${p.ops.READ ?? 0} | ${p.ops.WRITE ?? 0} | ${fmtOps(p.ops)} |`,
    );
  const at = (h) => rows.filter((p) => p.root === historyRoot(h));
  const mean = (xs) => xs.reduce((n, x) => n + x, 0) / Math.max(1, xs.length);
  const lo = Math.min(...HISTORY);
  for (const h of HISTORY.filter((x) => x !== lo)) {
    const all = per(mean(at(h).map((p) => sum(p.ops))), mean(at(lo).map((p) => sum(p.ops))));
    const wr = per(
      mean(at(h).map((p) => sum(p.ops, WRITE_OPS_ALL))),
      mean(at(lo).map((p) => sum(p.ops, WRITE_OPS_ALL))),
    );
    md.push('', `Ops of a pass at ${h} ÷ at ${lo} segments of history: all ${all}, write-type ${wr}.`);
  }
  md.push(
    '',
    `Per appended segment at ${lo}: ${per(mean(at(lo).map((p) => sum(p.ops))), HISTORY_UNITS)} ops (all), ${per(mean(at(lo).map((p) => sum(p.ops, WRITE_OPS_ALL))), HISTORY_UNITS)} write-type.`,
    '',
  );
  report.history = rows;
}
md.push(`Suite wall time: ${Math.round((Date.now() - started) / 1000)} s.`);
writeFileSync(join(OUT, 'report.md'), `${md.join('\n')}\n`);
writeFileSync(join(OUT, 'report.json'), JSON.stringify(report, null, 2));
console.log(`\n${md.join('\n')}\n`);
say(`report: ${join(OUT, 'report.md')} and report.json`);
say(failed ? 'FAILED' : 'all efsink scenarios passed');
process.exitCode = failed ? 1 : 0;

/** The manifest shape of corpus.mjs for a list of units (sorted by first timestamp). */
function manifestOf(units) {
  const sorted = [...units].sort((a, b) => a.first - b.first || a.file.localeCompare(b.file));
  const expected = {};
  let segments = 0;
  for (const u of sorted)
    for (const [p, lines] of Object.entries(u.outputs)) {
      segments++;
      expected[p] ??= [];
      expected[p].push(...lines);
    }
  if (Object.keys(expected).some((p) => p !== outputPath(LOG_GROUP, HISTORY_HOUR)))
    throw new Error('history units must all land in one hour file');
  return { units: sorted, expected, segments, events: sorted.reduce((n, u) => n + u.count, 0) };
}
