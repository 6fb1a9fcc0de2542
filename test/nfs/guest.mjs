// Runs INSIDE an nfs-lab guest (one NFSv4.1 client): `node test/nfs/guest.mjs CONFIG.json`.
// The host file system is read-only here; only $NFS_LAB_MOUNT is writable, and HOME is read-only, so
// this file uses node: built-ins only and calls the built CLI as `node bin/efsink ...`.
// It prints progress lines and `RESULT {json}` lines (phase op counts from /proc/self/mountstats);
// the host runner (run-nfs-suite.mjs) parses them from the lab's per-client stdout.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { decodeUnit, outputPath } from './corpus.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const EFSINK = resolve(HERE, '../../bin/efsink');
const MOUNT = process.env.NFS_LAB_MOUNT ?? '/mnt/efs';
const ME = Number(process.env.NFS_LAB_CLIENT ?? '1');
const CLIENTS = Number(process.env.NFS_LAB_CLIENTS ?? '1');
const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const T0 = Date.now();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
const result = (obj) =>
  console.log(`RESULT ${JSON.stringify({ scenario: cfg.scenario, client: ME, ...obj })}`);
const short = (s) => (s ?? '').trim().replace(/\s+/g, ' ').slice(0, 300);

// ---- NFS op counters of our mount, from /proc/self/mountstats ---------------------------------
function ops() {
  const out = {};
  let on = false;
  let perOp = false;
  for (const line of readFileSync('/proc/self/mountstats', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'device') {
      on = f[4] === MOUNT;
      perOp = false;
    } else if (on && line.includes('per-op statistics')) perOp = true;
    else if (on && perOp && /^[A-Z_0-9]+:$/.test(f[0])) out[f[0].slice(0, -1)] = Number(f[1]);
  }
  return out;
}
function delta(a, b) {
  const d = {};
  for (const [k, v] of Object.entries(b)) if (v - (a[k] ?? 0)) d[k] = v - (a[k] ?? 0);
  return d;
}

// ---- efsink --------------------------------------------------------------------------------------
function efsink(args) {
  const t = Date.now();
  const r = spawnSync(process.execPath, [EFSINK, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const rc = r.status ?? (r.signal ? `signal ${r.signal}` : 'none');
  return { rc, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t };
}
function ingest(root, files, what) {
  const r = efsink(['ingest', 'cloudwatch', '--root', root, ...files]);
  log(`ingest ${what} (${files.length} units) rc=${r.rc}${r.rc === 0 ? '' : ` stderr: ${short(r.stderr)}`}`);
  return r;
}
const assembleArgs = (root) => [
  'assemble',
  '--root',
  root,
  '--lease-seconds',
  String(cfg.lease),
  '--segment-retention-seconds',
  String(cfg.retention ?? 0),
  '--log-level',
  'warn', // the CLI is silent by default; warn shows takeovers and torn-tail repairs
];
function assemble(root) {
  const r = efsink(assembleArgs(root));
  const lines = (r.stdout + r.stderr).split('\n');
  const busy = lines.filter((l) => /^busy:/.test(l)).length;
  const segments = Number(/assembled (\d+) segment/.exec(r.stdout)?.[1] ?? 0);
  // efsink's own log lines (informational): a broken lease taken over, a torn tail cut back
  const tookOver = lines.filter((l) => /took over/.test(l)).length;
  const truncated = lines.filter((l) => /truncating uncommitted tail/.test(l)).length;
  log(
    `assemble rc=${r.rc} segments=${segments} busy=${busy} tookOver=${tookOver} truncated=${truncated}` +
      `${r.rc === 0 ? '' : ` stderr: ${short(r.stderr)}`}`,
  );
  return { ...r, busy, segments, tookOver, truncated };
}
const passInfo = (r) => ({
  rc: r.rc,
  busy: r.busy,
  segments: r.segments,
  tookOver: r.tookOver,
  truncated: r.truncated,
});
/** Starts `efsink assemble` in the background; returns { child, exited: Promise<{rc, stdout, stderr}> }. */
// With `pauseAt`, efsink's test hook (EFSINK_TEST_PAUSE_AT) makes the assembler print `step NAME` and
// SIGSTOP itself at that exact step; without it (or if the hook is absent) we cue on output bytes.
function assembleInBackground(root, pauseAt) {
  const env = pauseAt ? { ...process.env, EFSINK_TEST_PAUSE_AT: pauseAt } : process.env;
  const child = spawn(process.execPath, [EFSINK, ...assembleArgs(root)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => {
    stdout += b;
  });
  child.stderr.on('data', (b) => {
    stderr += b;
  });
  let done = false;
  const exited = new Promise((res) => {
    child.on('close', (code, signal) => {
      done = true;
      res({ rc: code ?? `signal ${signal}`, stdout, stderr });
    });
  });
  return { child, exited, isDone: () => done, atStep: () => !!pauseAt && stderr.includes(`step ${pauseAt}`) };
}

/** Waits (bounded) until the process is in the stopped state ('T' in /proc/PID/stat). */
async function waitStopped(pid) {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(5);
  }
  throw new Error(`client ${ME}: assembler ${pid} did not stop itself within 30 s`);
}

/** Waits until the background assembler reached its cue; returns how ('step', 'bytes' or 'exited'). */
async function cue(root, bg, pauseAt) {
  const end = Date.now() + 120_000;
  for (;;) {
    if (bg.atStep()) return 'step';
    if (bg.isDone()) return 'exited';
    if (!pauseAt && outputBytes(root) > 0) return 'bytes';
    if (Date.now() > end) return 'timeout';
    await sleep(pauseAt ? 20 : 1);
  }
}

// ---- the export's state, as this client sees it --------------------------------------------------
function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}
const pendingSegments = (root) =>
  walk(join(root, '.efsink', 'segments')).filter((p) => p.endsWith('.seg')).length;
function outputBytes(root) {
  let n = 0;
  for (const p of cfg.outputs) {
    try {
      n += statSync(join(root, p)).size;
    } catch {}
  }
  return n;
}

// ---- coordination between guests: one state file per client, replaced by rename -----------------
// (created on the host before the run, so no client depends on seeing a new name appear)
const flags = new Set();
const syncFile = (c) => join(MOUNT, cfg.sync, `c${c}`);
function setFlag(name) {
  flags.add(name);
  const tmp = `${syncFile(ME)}.tmp`;
  writeFileSync(tmp, JSON.stringify([...flags]));
  renameSync(tmp, syncFile(ME));
}
function hasFlag(c, name) {
  try {
    return JSON.parse(readFileSync(syncFile(c), 'utf8') || '[]').includes(name);
  } catch {
    return false;
  }
}
async function waitFlag(c, name, timeoutMs = 180_000) {
  const end = Date.now() + timeoutMs;
  while (!hasFlag(c, name)) {
    if (Date.now() > end) throw new Error(`client ${ME}: timed out waiting for client ${c} flag ${name}`);
    await sleep(200);
  }
}
async function barrier(name) {
  setFlag(name);
  for (let c = 1; c <= CLIENTS; c++) if (c !== ME) await waitFlag(c, name);
}
const others = () => Array.from({ length: CLIENTS }, (_, i) => i + 1).filter((c) => c !== ME);

/** Assembly passes until `ready()` held before a pass and no segment is pending after it (bounded). */
async function assembleUntilDone(root, ready) {
  const end = Date.now() + cfg.passBudgetMs;
  const passes = [];
  while (passes.length < cfg.maxPasses && Date.now() < end) {
    const wasReady = ready();
    const r = assemble(root);
    passes.push(passInfo(r));
    // done: nothing pending (retention 0 deletes assembled segments) or, with a retention, every byte out
    const done = cfg.retention ? outputBytes(root) >= cfg.expectedBytes : pendingSegments(root) === 0;
    if (wasReady && done) return { passes, finished: true };
    await sleep(cfg.passSleepMs);
  }
  return { passes, finished: false, pending: pendingSegments(root) };
}

function crashNow(why) {
  log(`CRASH: ${why}: sysrq ${cfg.sysrq ?? 'b'} (no flush, no unmount)`);
  writeFileSync('/proc/sysrq-trigger', cfg.sysrq ?? 'b');
}

const chunk = (xs, n) => {
  const size = Math.max(1, Math.ceil(xs.length / n));
  const out = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
};

// ---- scenarios -------------------------------------------------------------------------------------
async function race() {
  // a (different halves) and b (the same units on both clients): ingest in batches with an assembly
  // pass after each, then assemble repeatedly until nothing is pending.
  for (const [i, rep] of cfg.reps.entries()) {
    const root = join(MOUNT, rep.root);
    const mine = rep.units[ME] ?? [];
    await barrier(`start${i}`);
    const o0 = ops();
    const ingestRcs = [];
    const passes = [];
    for (const [b, batch] of chunk(mine, cfg.batches).entries()) {
      ingestRcs.push(ingest(root, batch, `batch ${b + 1}`).rc);
      const r = assemble(root);
      passes.push(passInfo(r));
    }
    const o1 = ops();
    setFlag(`ingested${i}`);
    const done = await assembleUntilDone(root, () => others().every((c) => hasFlag(c, `ingested${i}`)));
    const o2 = ops();
    result({
      rep: i + 1,
      root: rep.root,
      units: mine.length,
      ingestRcs,
      passes: [...passes, ...done.passes],
      finished: done.finished,
      ops: { ingestAndInterleavedAssembly: delta(o0, o1), assembleLoop: delta(o1, o2) },
    });
    await barrier(`done${i}`);
  }
}

function naiveAppend(root, files) {
  // The naive design: decode the unit, appendFileSync every event to its hour file.
  const dirs = new Set();
  let events = 0;
  for (const f of files) {
    const env = decodeUnit(readFileSync(f, 'utf8'), gunzipSync);
    for (const ev of env.logEvents) {
      const p = join(root, outputPath(env.logGroup, ev.timestamp));
      if (!dirs.has(dirname(p))) {
        mkdirSync(dirname(p), { recursive: true });
        dirs.add(dirname(p));
      }
      appendFileSync(p, ev.message.endsWith('\n') ? ev.message : `${ev.message}\n`);
      events++;
    }
  }
  return events;
}

async function naive() {
  const rep = cfg.reps[0];
  await barrier('start');
  const o0 = ops();
  const events = naiveAppend(join(MOUNT, rep.root), rep.units[ME] ?? []);
  result({
    rep: 1,
    root: rep.root,
    units: (rep.units[ME] ?? []).length,
    events,
    ops: { naive: delta(o0, ops()) },
  });
}

async function opsScenario() {
  // One client, phase by phase: the cost of each step in NFS operations.
  const rep = cfg.reps[0];
  const root = join(MOUNT, rep.root);
  const files = rep.units[ME];
  const single = files.slice(0, cfg.singleUnits);
  const rest = files.slice(cfg.singleUnits);
  const phases = {};
  const rcs = [];
  let o = ops();
  const mark = (name) => {
    const n = ops();
    phases[name] = delta(o, n);
    o = n;
  };
  for (const f of single) rcs.push(ingest(root, [f], 'one unit per process').rc);
  mark('ingestOnePerProcess');
  rcs.push(ingest(root, rest, 'batch').rc);
  mark('ingestBatch');
  const done = await assembleUntilDone(root, () => true);
  mark('assemble');
  rcs.push(ingest(root, files, 'all again (redelivery)').rc);
  mark('redeliverBatch');
  const again = await assembleUntilDone(root, () => true);
  mark('assembleAfterRedelivery');
  const noop = assemble(root);
  mark('assembleNoop');
  const events = naiveAppend(join(MOUNT, cfg.naiveRoot), files);
  mark('naive');
  let big = { passes: [], finished: true };
  if (cfg.bigUnits?.length) {
    // the same steps with 8x larger units: write-type ops per unit must not grow with events per unit
    const bigRoot = join(MOUNT, cfg.bigRoot);
    rcs.push(ingest(bigRoot, cfg.bigUnits, 'large units, batch').rc);
    mark('ingestBigBatch');
    big = await assembleUntilDone(bigRoot, () => true);
    mark('assembleBig');
  }
  result({
    rep: 1,
    root: rep.root,
    units: files.length,
    singleUnits: single.length,
    batchUnits: rest.length,
    events,
    ingestRcs: rcs,
    passes: [...done.passes, ...again.passes, passInfo(noop), ...big.passes],
    finished: done.finished && again.finished && big.finished,
    ops: phases,
  });
}

async function crashIngest() {
  // c, run 1: client 1 lands its half; then client 2 lands the other half and powers off mid-way.
  const rep = cfg.reps[0];
  const root = join(MOUNT, rep.root);
  const mine = rep.units[ME] ?? [];
  if (ME === 1) {
    const o0 = ops();
    const r = ingest(root, mine, 'half A');
    result({
      rep: 1,
      root: rep.root,
      units: mine.length,
      ingestRcs: [r.rc],
      ops: { ingest: delta(o0, ops()) },
    });
    setFlag('A');
    return;
  }
  await waitFlag(1, 'A');
  const base = pendingSegments(root);
  const target = base + Math.max(1, Math.floor(cfg.crashAfterSegments));
  log(`crash-ingest: ${base} segments visible; crashing once ${target} are`);
  const child = spawn(process.execPath, [EFSINK, 'ingest', 'cloudwatch', '--root', root, ...mine], {
    stdio: 'ignore',
  });
  let exited = false;
  child.on('close', () => {
    exited = true;
  });
  while (!exited && pendingSegments(root) < target) await sleep(2);
  crashNow(
    exited ? 'ingest had already exited (NOT mid-ingest)' : `mid-ingest, ${pendingSegments(root)} segments`,
  );
  await sleep(60_000);
}

async function crashAssemble() {
  // c, run 2: client 2 redelivers its half (its ingest never acknowledged), assembles, and powers off
  // as soon as its assembler has written output bytes; client 1 must take over after the lease.
  const rep = cfg.reps[0];
  const root = join(MOUNT, rep.root);
  if (ME === 2) {
    const mine = rep.units[2];
    const r = ingest(root, mine, 'half B again (redelivery after the crash)');
    result({ rep: 1, root: rep.root, units: mine.length, ingestRcs: [r.rc], phase: 'redeliver' });
    const bg = assembleInBackground(root, rep.pauseAt);
    const how = await cue(root, bg, rep.pauseAt);
    // Only now may client 1 assemble: had it started with ours, it could take the lease first and
    // leave ours nothing to do (seen once under load: "NOT mid-assembly"). The flag is on the server
    // before the crash (rename is synchronous on NFS).
    setFlag('B');
    crashNow(
      how === 'exited'
        ? 'assembler had already exited (NOT mid-assembly)'
        : `mid-assembly (cue: ${how} ${rep.pauseAt ?? 'output bytes'})`,
    );
    await sleep(60_000);
    return;
  }
  await waitFlag(2, 'B');
  const o0 = ops();
  const done = await assembleUntilDone(root, () => true);
  result({
    rep: 1,
    root: rep.root,
    passes: done.passes,
    finished: done.finished,
    ops: { takeover: delta(o0, ops()) },
  });
}

async function pause() {
  // d: client 2's assembler is stopped (SIGSTOP) while it holds a lease, for longer than the lease;
  // client 1 takes over; then the stopped assembler is continued and must not do harm.
  for (const [i, rep] of cfg.reps.entries()) {
    const root = join(MOUNT, rep.root);
    const mine = rep.units[ME] ?? [];
    await barrier(`start${i}`);
    const ingestRcs = [ingest(root, mine, 'own half').rc];
    await barrier(`ingested${i}`);
    if (ME === 2) {
      const bg = assembleInBackground(root, rep.pauseAt);
      const how = await cue(root, bg, rep.pauseAt);
      const stopped = how === 'step' || how === 'bytes';
      // At a step the assembler stops itself right after printing it. Sending our own SIGSTOP too
      // races that on this 1-vCPU guest: ours can land between its print and its self-stop, our
      // SIGCONT then resumes it, and its own SIGSTOP stops it again for good (seen in CI: the
      // resumed assembler never exited). So wait for its self-stop instead.
      if (how === 'bytes') bg.child.kill('SIGSTOP');
      if (how === 'step') await waitStopped(bg.child.pid);
      log(
        stopped
          ? `assembler STOPPED holding a lease (cue: ${how} ${rep.pauseAt ?? 'output bytes'})`
          : `assembler not stopped (${how})`,
      );
      setFlag(`stopped${i}`);
      if (rep.resume === 'after-takeover') await waitFlag(1, `done${i}`, 240_000);
      else await sleep(rep.pauseMs);
      if (stopped) bg.child.kill('SIGCONT');
      log(`assembler CONTINUED (${rep.resume})`);
      const r = await bg.exited;
      log(`resumed assembler exited rc=${r.rc} stdout: ${short(r.stdout)} stderr: ${short(r.stderr)}`);
      result({
        rep: i + 1,
        root: rep.root,
        ingestRcs,
        stopped,
        pauseAt: rep.pauseAt,
        resume: rep.resume,
        resumedStdout: short(r.stdout),
        resumedRc: r.rc,
        resumedStderr: short(r.stderr),
      });
      setFlag(`resumed${i}`);
    } else {
      await waitFlag(2, `stopped${i}`);
      const o0 = ops();
      const ready = rep.resume === 'after-takeover' ? () => true : () => hasFlag(2, `resumed${i}`);
      const done = await assembleUntilDone(root, ready);
      setFlag(`done${i}`);
      result({
        rep: i + 1,
        root: rep.root,
        ingestRcs,
        passes: done.passes,
        finished: done.finished,
        ops: { takeover: delta(o0, ops()) },
      });
    }
    await barrier(`end${i}`);
  }
}

/** Starts an assembler that stops itself at `step`, and waits until it has (or exited first). */
async function stoppedAt(root, step) {
  const bg = assembleInBackground(root, step);
  const how = await cue(root, bg, step);
  if (how === 'step') await waitStopped(bg.child.pid);
  log(how === 'step' ? `assembler STOPPED at ${step}` : `assembler not stopped at ${step} (${how})`);
  return { bg, stopped: how === 'step' };
}
async function resume(p, what) {
  if (p.stopped) p.bg.child.kill('SIGCONT');
  const r = await p.bg.exited;
  log(`${what} exited rc=${r.rc} stdout: ${short(r.stdout)} stderr: ${short(r.stderr)}`);
  return { rc: r.rc, stopped: p.stopped, stderr: short(r.stderr) };
}

async function leaseScenario() {
  // Issue 11 item 3 on two clients, driven at efsink's own steps (EFSINK_TEST_PAUSE_AT):
  //  release: client 2's holder stops inside its release (where the old release() had read the
  //    lease and not yet unlinked it); client 1 claims the file and stops mid-batch holding it;
  //    client 2's releaser finishes, then client 2 runs a fresh pass on the same file; then client
  //    1 goes on. The old code let client 2's pass append to the inode client 1 was writing.
  //  break: client 2's holder stops mid-batch and its lease runs out; client 1's breaker stops
  //    right after judging it dead (before claiming); client 2 runs a fresh pass (it claims and
  //    takes over); client 1's breaker goes on (its claim must lose), then the old holder goes on
  //    (it must fail, fenced). The old code's rename-aside gap let the third pass in uncounted.
  // Then both assemble until nothing is pending; the host checks the files byte for byte.
  for (const [i, rep] of cfg.reps.entries()) {
    const root = join(MOUNT, rep.root);
    const mine = rep.units[ME] ?? [];
    const [part1, part2] = chunk(mine, 2);
    const ingestRcs = [];
    const steps = [];
    await barrier(`start${i}`);
    ingestRcs.push(ingest(root, part1 ?? [], 'part 1').rc);
    await barrier(`ingested${i}`);
    if (rep.kind === 'release') {
      if (ME === 2) {
        const releaser = await stoppedAt(root, 'lease-releasing');
        setFlag(`released-stopped${i}`);
        await waitFlag(1, `holding${i}`);
        steps.push({ what: 'releaser', ...(await resume(releaser, 'releaser')) });
        ingestRcs.push(ingest(root, part2 ?? [], 'part 2').rc);
        const fresh = assemble(root);
        steps.push({ what: 'fresh pass', ...passInfo(fresh) });
        setFlag(`fresh-done${i}`);
      } else {
        await waitFlag(2, `released-stopped${i}`);
        ingestRcs.push(ingest(root, part2 ?? [], 'part 2').rc);
        const holder = await stoppedAt(root, 'appended');
        setFlag(`holding${i}`);
        await waitFlag(2, `fresh-done${i}`);
        steps.push({ what: 'holder', ...(await resume(holder, 'holder')) });
      }
    } else {
      if (ME === 2) {
        const holder = await stoppedAt(root, 'appended');
        setFlag(`holding${i}`);
        await waitFlag(1, `judged${i}`);
        ingestRcs.push(ingest(root, part2 ?? [], 'part 2').rc);
        const fresh = assemble(root);
        steps.push({ what: 'fresh pass', ...passInfo(fresh) });
        setFlag(`fresh-done${i}`);
        await waitFlag(1, `breaker-done${i}`);
        const old = await resume(holder, 'old holder');
        steps.push({ what: 'old holder', ...old });
        // A holder whose lease was broken while it was stopped must not report its batch as done.
        if (old.stopped && old.rc === 0) steps.push({ what: 'PROBLEM: the broken holder exited 0' });
      } else {
        await waitFlag(2, `holding${i}`);
        ingestRcs.push(ingest(root, part2 ?? [], 'part 2').rc);
        await sleep((cfg.lease + 4) * 1000); // past the holder's lease and the clock-skew allowance
        const breaker = await stoppedAt(root, 'lease-judged');
        setFlag(`judged${i}`);
        await waitFlag(2, `fresh-done${i}`);
        steps.push({ what: 'breaker', ...(await resume(breaker, 'breaker')) });
        setFlag(`breaker-done${i}`);
      }
    }
    await barrier(`interleaved${i}`);
    const done = await assembleUntilDone(root, () => true);
    result({
      rep: i + 1,
      root: rep.root,
      kind: rep.kind,
      ingestRcs,
      steps,
      passes: done.passes,
      finished: done.finished,
    });
    await barrier(`end${i}`);
  }
}

async function historyRace() {
  // Issue 10: both clients ingest new units into an hour file that already holds thousands of
  // segments, each assembling after every batch and then until nothing is pending.
  return race();
}

async function historyScenario() {
  // Cycles of: ingest a batch of new units into each root (not measured), then one measured
  // assembly pass. The roots differ only in how many segments their hour file already holds.
  const passes = [];
  const ingestRcs = [];
  for (const [c, files] of cfg.cycles.entries()) {
    for (const rep of cfg.reps) {
      const root = join(MOUNT, rep.root);
      ingestRcs.push(ingest(root, files, `${rep.root} cycle ${c + 1}`).rc);
      const o0 = ops();
      const r = assemble(root);
      passes.push({
        root: rep.root,
        cycle: c + 1,
        history: rep.history + c * files.length,
        expected: files.length,
        rc: r.rc,
        segments: r.segments,
        ms: r.ms,
        ops: delta(o0, ops()),
      });
    }
  }
  result({ rep: 1, root: 'history', ingestRcs, historyPasses: passes });
}

const SCENARIOS = {
  race,
  redeliver: race,
  naive,
  ops: opsScenario,
  'crash-ingest': crashIngest,
  'crash-assemble': crashAssemble,
  pause,
  history: historyScenario,
  lease: leaseScenario,
  'history-race': historyRace,
};
log(`client ${ME}/${CLIENTS} scenario ${cfg.scenario} on ${MOUNT}`);
await SCENARIOS[cfg.scenario]();
log('finished');
