import type { ChildResult, Variant } from './child.js';
import type { Corpus } from './corpus.js';
import { METADATA, type SyscallCounts, sumOf, WRITE_TYPE } from './strace.js';

/** Everything measured for one corpus. */
export interface CorpusMeasurements {
  readonly corpus: Omit<Corpus, 'events'>;
  readonly runs: Record<Variant, ChildResult[]>;
  readonly baselineRssKb: number;
  readonly syscalls?: Partial<Record<Variant, SyscallCounts>>;
  /** Per variant: the bytes it stored matched what it should store (checked on the first repetition). */
  readonly bytesOk: Partial<Record<Variant, boolean>>;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The main table: one row per corpus × variant. MB = 10^6 bytes of log messages. */
export function resultsTable(all: readonly CorpusMeasurements[]): string {
  const rows = [
    '| corpus | variant | wall ms (median) | min–max ms | MB/s | events/s | × floor wall (paired median) | × floor (best/best) | peak RSS MB | write-type syscalls / 10k events | bytes ok |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|',
  ];
  for (const m of all) {
    const floorWalls = m.runs.floor.map((r) => r.wallMs);
    for (const [variant, runs] of Object.entries(m.runs) as [Variant, ChildResult[]][]) {
      if (runs.length === 0) continue;
      const walls = runs.map((r) => r.wallMs);
      const wall = median(walls);
      // Repetition r of every variant ran back to back, so the per-repetition ratio cancels most of
      // the load other work puts on the machine; its median is the headline ratio.
      const paired = median(walls.map((w, i) => w / (floorWalls[i] ?? Number.NaN)));
      const best = Math.min(...walls) / Math.min(...floorWalls);
      const rss = Math.max(...runs.map((r) => r.maxRssKb)) / 1024;
      const calls = m.syscalls?.[variant];
      const per10k =
        calls === undefined ? 'n/a' : fmt((sumOf(calls, WRITE_TYPE) * 10_000) / m.corpus.logEvents);
      let name: string = variant;
      if (variant === 'efsink-ingest+assemble') {
        const ing = median(runs.map((r) => r.ingestMs ?? 0));
        const asm = median(runs.map((r) => r.assembleMs ?? 0));
        name = `${variant} (ingest ${fmt(ing)} + assemble ${fmt(asm)} ms)`;
      }
      const ok = m.bytesOk[variant];
      rows.push(
        `| ${shortLabel(m.corpus)} | ${name} | ${fmt(wall)} | ${fmt(Math.min(...walls))}–${fmt(Math.max(...walls))} | ${fmt(m.corpus.logBytes / 1e6 / (wall / 1000), 1)} | ${fmt(m.corpus.logEvents / (wall / 1000))} | ${fmt(paired, 2)} | ${fmt(best, 2)} | ${fmt(rss, 0)} | ${per10k} | ${ok === undefined ? '–' : ok ? 'yes' : 'NO'} |`,
      );
    }
  }
  return rows.join('\n');
}

/** Syscall breakdown: write-type calls by kind, per 10,000 events and per delivery unit. */
export function syscallTable(all: readonly CorpusMeasurements[]): string {
  const rows = [
    '| corpus | variant | openat | write/pwrite/writev | fsync/fdatasync | rename* | close | write-type total | per 10k events | per payload | other file calls (stat, mkdir, link, unlink, readdir, read, …) |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const m of all) {
    for (const [variant, calls] of Object.entries(m.syscalls ?? {}) as [Variant, SyscallCounts][]) {
      const total = sumOf(calls, WRITE_TYPE);
      rows.push(
        `| ${shortLabel(m.corpus)} | ${variant} | ${fmt(sumOf(calls, ['openat']))} | ${fmt(sumOf(calls, ['write', 'pwrite64', 'writev', 'pwritev']))} | ${fmt(sumOf(calls, ['fsync', 'fdatasync']))} | ${fmt(sumOf(calls, ['rename', 'renameat', 'renameat2']))} | ${fmt(sumOf(calls, ['close']))} | ${fmt(total)} | ${fmt((total * 10_000) / m.corpus.logEvents)} | ${fmt(total / m.corpus.payloads, 1)} | ${fmt(sumOf(calls, METADATA))} |`,
      );
    }
  }
  return rows.join('\n');
}

export function corpusLines(all: readonly CorpusMeasurements[]): string {
  return all
    .map(
      (m) =>
        `- ${m.corpus.label}: ${fmt(m.corpus.logBytes / 1e6, 1)} MB of log messages, ${fmt(m.corpus.encodedBytes / 1e6, 1)} MB of base64 \`awslogs.data\`; RSS of a child that only loads the corpus: ${fmt(m.baselineRssKb / 1024)} MB`,
    )
    .join('\n');
}

function shortLabel(c: Omit<Corpus, 'events'>): string {
  return `${fmt(c.eventsPerPayload)}/payload`;
}
