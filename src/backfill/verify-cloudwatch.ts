import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { hourOf, type PathTemplate, renderPath, type TemplateValues } from '../core/layout/path-template.js';
import {
  type ComparisonReport,
  comparePartition,
  emptyReport,
  encodeRecord,
  partitionOf,
  recordPayload,
  SOURCE,
  STORED,
} from '../core/verify/compare.js';
import { LineSplitter, splitLines } from '../core/verify/lines.js';
import { frameEntries } from '../core/write/frame.js';
import { pendingSegments as pendingOf } from '../io/coverage.js';
import type { RootLayout } from '../io/layout.js';
import { PartitionSpill } from '../io/spill.js';
import { fetchFilterPage, listLogStreams, type Pacing } from './cloudwatch-source.js';
import { valuesOf } from './plan-backfill.js';
import type { Progress } from './progress.js';

const HOUR_MS = 3_600_000;
/** Target size of one partition: the comparison holds one partition (plus its index) in memory. */
export const PARTITION_TARGET_BYTES = 32 * 1024 * 1024;
/** Spill buffers together stay under this while reading. */
const SPILL_BUFFER_BUDGET_BYTES = 32 * 1024 * 1024;

export interface VerifyCloudWatchOptions {
  readonly logGroup: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly extraValues: TemplateValues;
  readonly template: PathTemplate;
  readonly layout: RootLayout;
  readonly client: CloudWatchLogsClient;
  readonly pacing: Pacing;
  /** @default from the stored files' size, so that a partition is about PARTITION_TARGET_BYTES */
  readonly partitions?: number | undefined;
  readonly maxSamples: number;
  readonly tempDir?: string | undefined;
  readonly progress?: Progress;
}

export interface VerifiedFile {
  readonly relPath: string;
  readonly exists: boolean;
  readonly bytes: number;
  /** Landed segments not yet assembled into this file (not counted as stored lines). */
  readonly pendingSegments: number;
}

export interface VerifyCloudWatchReport {
  /** The range compared: widened to whole hours when files are hourly (a file holds its whole hour). */
  readonly startMs: number;
  readonly endMs: number;
  readonly sourceEvents: number;
  readonly partitions: number;
  readonly files: readonly VerifiedFile[];
  readonly pendingSegments: number;
  readonly comparison: ComparisonReport;
}

/**
 * Compares a log group's events in a range with the assembled files the template maps them to
 * (ADR 0004): every event, framed as the writer frames it, must be in its file exactly as many times
 * as the source has it. Reads the source once and each file once, spilling `(side, file, line)`
 * records into hash partitions, then compares partition by partition in bounded memory.
 */
export async function verifyCloudWatch(opts: VerifyCloudWatchOptions): Promise<VerifyCloudWatchReport> {
  const { template } = opts;
  const startMs = template.usesTime ? hourOf(opts.startMs) : opts.startMs;
  const endMs = template.usesTime ? hourOf(opts.endMs - 1) + HOUR_MS : opts.endMs;
  const render = (stream: string, ts: number) =>
    renderPath(template, valuesOf(opts.logGroup, stream, opts.extraValues), ts);

  // The files the range maps to: every hour × every stream (when the template names streams).
  const streams = template.source.includes('{logStream}')
    ? await listLogStreams(opts.client, opts.logGroup, opts.pacing)
    : [''];
  const candidates = new Set<string>();
  for (const stream of streams) {
    for (let t = startMs; t < endMs; t += template.usesTime ? HOUR_MS : endMs - startMs)
      candidates.add(render(stream, t));
  }
  let storedBytes = 0;
  for (const relPath of candidates) storedBytes += (await sizeOf(join(opts.layout.root, relPath))) ?? 0;
  const partitions =
    opts.partitions ?? Math.min(4096, Math.max(1, Math.ceil((2 * storedBytes) / PARTITION_TARGET_BYTES)));
  const spill = await PartitionSpill.create(
    partitions,
    Math.max(4096, Math.min(256 * 1024, Math.floor(SPILL_BUFFER_BUDGET_BYTES / partitions))),
    opts.tempDir,
  );
  try {
    const put = async (side: typeof SOURCE | typeof STORED, relPath: string, line: Uint8Array) => {
      const payload = recordPayload(relPath, line);
      await spill.add(partitionOf(payload, partitions), encodeRecord(side, payload));
    };
    // Source side.
    let sourceEvents = 0;
    let sourceBytes = 0;
    let token: string | undefined;
    const range = { logGroupName: opts.logGroup, startTimeMs: startMs, endTimeMs: endMs };
    do {
      const page = await fetchFilterPage(opts.client, range, token, opts.pacing);
      for (const e of page.events) {
        const relPath = render(e.logStreamName, e.timestamp);
        candidates.add(relPath);
        const framed = frameEntries([e.message]);
        sourceBytes += framed.length;
        for (const line of splitLines(framed)) await put(SOURCE, relPath, line);
      }
      sourceEvents += page.events.length;
      token = page.nextToken;
      const last = page.events[page.events.length - 1]?.timestamp;
      opts.progress?.update({
        events: sourceEvents,
        bytes: sourceBytes,
        fraction: last === undefined ? undefined : (last - startMs) / Math.max(1, endMs - startMs),
        detail: '(reading source)',
      });
    } while (token !== undefined);
    // Stored side: assembled files only; pending segments are reported, not compared.
    const files: VerifiedFile[] = [];
    for (const relPath of [...candidates].sort()) {
      const path = join(opts.layout.root, relPath);
      const bytes = await sizeOf(path);
      const pendingSegments = (await pendingOf(opts.layout, relPath)).length;
      if (bytes !== undefined) {
        const splitter = new LineSplitter();
        for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
          for (const line of splitter.push(chunk as Buffer)) await put(STORED, relPath, line);
        }
        for (const line of splitter.end()) await put(STORED, relPath, line);
      }
      if (bytes !== undefined || pendingSegments > 0)
        files.push({ relPath, exists: bytes !== undefined, bytes: bytes ?? 0, pendingSegments });
    }
    const comparison = emptyReport();
    for await (const partition of spill.drain()) comparePartition(partition, comparison, opts.maxSamples);
    return {
      startMs,
      endMs,
      sourceEvents,
      partitions,
      files,
      pendingSegments: files.reduce((n, f) => n + f.pendingSegments, 0),
      comparison,
    };
  } finally {
    await spill.dispose();
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
