// Host-side checks of what the guests left in the export (node built-ins and efsink's own build).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decodeSegmentHeader } from '../../dist/src/core/write/segment-file.js';

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

/**
 * What is left in efsink's internal folder: pending segments, how many of them are not complete
 * segment files (header + exactly the body length it names, ADR 0007: a crash must never publish
 * one), quarantined segments, and anything else (temp files etc.).
 */
export function internalState(root) {
  const seg = walk(join(root, '.efsink', 'segments'));
  const pending = seg.filter((p) => p.endsWith('.seg'));
  return {
    pendingSegments: pending.length,
    invalidSegments: pending.filter((p) => !isCompleteSegment(p)).length,
    quarantined: walk(join(root, '.efsink', 'quarantine')).length,
    otherFilesInSegments: seg.filter((p) => !p.endsWith('.seg')).length,
    internalFiles: walk(join(root, '.efsink')).length,
  };
}

function isCompleteSegment(path) {
  try {
    decodeSegmentHeader(readFileSync(path));
    return true;
  } catch {
    return false;
  }
}

/**
 * Compare the output files under `root` with the corpus manifest (every unit expected once).
 * Per file: bytes vs expected, NUL bytes, a partial last line, missing / duplicated / foreign
 * (torn or misplaced) lines, units whose lines are not one contiguous in-order block (a segment
 * split, reordered or interleaved), and cross-unit inversions within a stream (informational:
 * units that arrive late are appended late).
 */
export function checkOutputs(root, manifest) {
  const where = new Map(); // line -> { file, unit, pos }
  manifest.units.forEach((u, ui) => {
    for (const [file, lines] of Object.entries(u.outputs)) {
      lines.forEach((line, pos) => {
        where.set(line, { file, unit: ui, pos });
      });
    }
  });
  const files = {};
  const tot = {
    expectedLines: manifest.events,
    lines: 0,
    bytes: 0,
    expectedBytes: 0,
    missing: 0,
    duplicates: 0,
    foreign: 0,
    misplaced: 0,
    nulBytes: 0,
    partialTail: 0,
    brokenSegments: 0,
    streamInversions: 0,
    unexpectedFiles: 0,
  };
  const actual = walk(root)
    .map((p) => relative(root, p))
    .filter((p) => !p.startsWith('.efsink') && p.endsWith('.log'));
  const all = new Set([...Object.keys(manifest.expected), ...actual]);
  for (const file of [...all].sort()) {
    const exp = manifest.expected[file] ?? [];
    if (!manifest.expected[file]) tot.unexpectedFiles++;
    let buf = Buffer.alloc(0);
    try {
      if (statSync(join(root, file)).isFile()) buf = readFileSync(join(root, file));
    } catch {}
    const expectedBytes = exp.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    let nul = 0;
    for (const b of buf) if (b === 0) nul++;
    const lines = buf.toString('utf8').split('\n');
    const partialTail = lines.pop() !== '' ? 1 : 0;
    const seen = new Map();
    const st = { lines: lines.length, bytes: buf.length, expectedBytes, missing: 0, duplicates: 0 };
    Object.assign(st, { foreign: 0, misplaced: 0, nulBytes: nul, partialTail, brokenSegments: 0 });
    st.streamInversions = 0;
    const unitsSeen = new Set();
    const lastUnitFirstByStream = new Map();
    for (const line of lines) {
      const w = where.get(line);
      if (!w) {
        st.foreign++;
        continue;
      }
      if (w.file !== file) {
        st.misplaced++;
        continue;
      }
      const c = (seen.get(line) ?? 0) + 1;
      seen.set(line, c);
      if (c > 1) {
        st.duplicates++;
        continue;
      }
      if (!unitsSeen.has(w.unit)) {
        unitsSeen.add(w.unit);
        const u = manifest.units[w.unit];
        const last = lastUnitFirstByStream.get(u.stream);
        if (last !== undefined && last > u.first) st.streamInversions++;
        lastUnitFirstByStream.set(u.stream, Math.max(last ?? 0, u.first));
      }
    }
    // A unit's lines in this file must be exactly pos 0..n-1, in order, with nothing in between.
    const order = [];
    for (const line of lines) {
      const w = where.get(line);
      if (w && w.file === file) order.push(w);
    }
    const firstSeenAt = new Map();
    order.forEach((w, i) => {
      if (!firstSeenAt.has(w.unit)) firstSeenAt.set(w.unit, i);
    });
    for (const [unit, start] of firstSeenAt) {
      const n = manifest.units[unit].outputs[file].length;
      let ok = true;
      for (let k = 0; k < n; k++) {
        const w = order[start + k];
        if (!w || w.unit !== unit || w.pos !== k) ok = false;
      }
      if (!ok) st.brokenSegments++;
    }
    for (const l of exp) if (!seen.has(l)) st.missing++;
    files[file] = st;
    for (const k of Object.keys(tot)) if (k in st && typeof st[k] === 'number') tot[k] += st[k];
  }
  tot.expectedBytes = Object.values(files).reduce((n, f) => n + f.expectedBytes, 0);
  const exact =
    tot.missing +
      tot.duplicates +
      tot.foreign +
      tot.misplaced +
      tot.nulBytes +
      tot.partialTail +
      tot.brokenSegments +
      tot.unexpectedFiles ===
      0 && tot.bytes === tot.expectedBytes;
  return { exact, ...tot, files };
}
