import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SinkConfig } from '../config/sink-config.js';
import { isEfsinkError } from '../core/errors.js';
import { hourOf, renderPath, type TemplateValues } from '../core/layout/path-template.js';
import type { AssembleReport } from '../io/assemble.js';
import { readCoverage } from '../io/coverage.js';
import type { Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import {
  type Checkpoint,
  checkpointPath,
  freshCheckpoint,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { type FilterPage, fetchFilterPage, type Pacing } from './cloudwatch-source.js';
import { FileCoverage } from './coverage-index.js';
import { BackfillErrorCode } from './errors.js';
import { planBackfillPage, valuesOf } from './plan-backfill.js';
import type { Progress } from './progress.js';

export interface CloudWatchBackfillOptions {
  readonly logGroup: string;
  readonly startMs: number;
  /** Exclusive. */
  readonly endMs: number;
  /** Values for template tokens the source does not give (`{owner}`). */
  readonly extraValues: TemplateValues;
  readonly config: SinkConfig;
  readonly sink: Sink;
  readonly client: CloudWatchLogsClient;
  readonly pacing: Pacing;
  /** Run one assembly pass once every page is landed. @default true */
  readonly assemble: boolean;
  readonly log: Logger;
  readonly progress?: Progress;
}

export interface CloudWatchBackfillReport {
  readonly checkpoint: Checkpoint;
  readonly resumed: boolean;
  /** Segments without an event-id description (Firehose/S3 units, damaged files): their events could not be deduplicated. */
  readonly unknownSegments: number;
  readonly assembly: AssembleReport | undefined;
}

/**
 * Copies a log group's events in [startMs, endMs) onto EFS through the live path's landing and
 * assembly (ADR 0004): pages FilterLogEvents (paced, retried), drops events whose id is already
 * covered in their output file (by the live path or an earlier backfill), lands the rest as
 * deterministic units, then checkpoints. A killed run restarts from its checkpoint; a page landed
 * but not checkpointed is read again and its events are found covered.
 */
export async function backfillCloudWatch(opts: CloudWatchBackfillOptions): Promise<CloudWatchBackfillReport> {
  const { sink, config, log } = opts;
  const layout = sink.layout;
  const args = {
    source: 'cloudwatch',
    logGroup: opts.logGroup,
    startMs: opts.startMs,
    endMs: opts.endMs,
    pathTemplate: config.template.source,
    ...(opts.extraValues as Record<string, string>),
  };
  const ckPath = checkpointPath(layout, args);
  const existing = await readCheckpoint(ckPath);
  let ck: Checkpoint = existing ?? freshCheckpoint(args);
  const resumed = existing !== undefined && (existing.pages > 0 || existing.done);
  if (resumed) log.info({ checkpoint: ckPath, pages: ck.pages, done: ck.done }, 'resuming backfill');

  const coverage = new Map<string, { cov: FileCoverage; hour: number }>();
  let unknownSegments = 0;
  const coverageOf = async (relPath: string, hour: number): Promise<FileCoverage> => {
    let c = coverage.get(relPath);
    if (c === undefined) {
      const read = await readCoverage(layout, relPath);
      unknownSegments += read.unknownSegments;
      if (read.unknownSegments > 0)
        log.warn(
          { relPath, segments: read.unknownSegments },
          'segments without an event-id description (Firehose/S3 units or damaged files): cannot dedupe against them',
        );
      const cov = new FileCoverage();
      for (const m of read.metas) if (m.logGroup === opts.logGroup) cov.add(m);
      c = { cov, hour };
      coverage.set(relPath, c);
    }
    return c.cov;
  };

  const range = { logGroupName: opts.logGroup, startTimeMs: opts.startMs, endTimeMs: opts.endMs };
  const span = Math.max(1, opts.endMs - opts.startMs);
  // A page's events are in timestamp order over a few streams: render each (stream, hour) once.
  const pathCache = new Map<string, string>();
  let prefetched: Promise<{ page: FilterPage; queryStartMs: number }> | undefined;
  while (!ck.done) {
    const { page, queryStartMs } = await (prefetched ?? fetchResuming(opts, range, ck));
    prefetched = undefined;
    const lastTs = page.events[page.events.length - 1]?.timestamp;
    if (page.nextToken !== undefined) {
      // Prefetch: the next request goes out (still paced by the limiter) while this page lands, so
      // landing time does not add to the time the rate limit sets. The checkpoint still moves only
      // after this page is durable: a kill loses at most the prefetched read, which is read again.
      prefetched = fetchResuming(opts, range, {
        nextToken: page.nextToken,
        queryStartMs,
        ...((lastTs ?? ck.resumeFromMs) !== undefined ? { resumeFromMs: lastTs ?? ck.resumeFromMs } : {}),
      });
      // Awaited on the next iteration, where its error surfaces; not an unhandled rejection meanwhile.
      prefetched.catch(() => {});
    }
    // Load the coverage of every output file this page touches before planning (planning is sync).
    const touched = new Map<string, number>();
    for (const e of page.events) {
      const hour = hourOf(e.timestamp);
      const key = `${e.logStreamName}\0${config.template.usesTime ? hour : 0}`;
      let relPath = pathCache.get(key);
      if (relPath === undefined) {
        if (pathCache.size >= 4096) pathCache.clear();
        relPath = renderPath(
          config.template,
          valuesOf(opts.logGroup, e.logStreamName, opts.extraValues),
          e.timestamp,
        );
        pathCache.set(key, relPath);
      }
      touched.set(relPath, hour);
    }
    for (const [relPath, hour] of touched) await coverageOf(relPath, hour);
    const plan = planBackfillPage(
      opts.logGroup,
      page.events,
      config.template,
      opts.extraValues,
      (relPath, stream, id) => coverage.get(relPath)?.cov.covers(stream, id) ?? false,
    );
    let bytes = 0;
    for (const unit of plan.units) {
      const landed = await sink.land(unit);
      bytes += landed.bytes;
      for (const seg of unit.segments) if (seg.meta) coverage.get(seg.relPath)?.cov.add(seg.meta);
    }
    const { nextToken: _used, ...rest } = ck;
    ck = {
      ...rest,
      ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
      ...(lastTs !== undefined ? { resumeFromMs: lastTs } : {}),
      queryStartMs,
      pages: ck.pages + 1,
      eventsRead: ck.eventsRead + page.events.length,
      eventsLanded: ck.eventsLanded + plan.planned,
      eventsSkipped: ck.eventsSkipped + plan.skipped,
      bytesLanded: ck.bytesLanded + bytes,
      done: page.nextToken === undefined,
    };
    await writeCheckpoint(layout, ckPath, ck);
    // Results come in timestamp order: files of hours before this page's first event are done.
    const firstTs = page.events[0]?.timestamp;
    if (firstTs !== undefined && config.template.usesTime) {
      for (const [relPath, c] of coverage) if (c.hour < hourOf(firstTs)) coverage.delete(relPath);
    }
    opts.progress?.update({
      events: ck.eventsRead,
      bytes: ck.bytesLanded,
      fraction: ck.done
        ? 1
        : ck.resumeFromMs === undefined
          ? undefined
          : (ck.resumeFromMs - opts.startMs) / span,
      detail: `(${ck.pages} pages, ${ck.eventsSkipped} already on EFS)`,
    });
  }
  const assembly = opts.assemble ? await sink.assemble() : undefined;
  return { checkpoint: ck, resumed, unknownSegments, assembly };
}

/**
 * The next page: from the checkpoint's token, or, when the service refuses the token (tokens
 * expire), from the last timestamp read; events read twice are found covered and skipped.
 */
async function fetchResuming(
  opts: CloudWatchBackfillOptions,
  range: { logGroupName: string; startTimeMs: number; endTimeMs: number },
  ck: Pick<Checkpoint, 'nextToken' | 'queryStartMs' | 'resumeFromMs'>,
): Promise<{ page: FilterPage; queryStartMs: number }> {
  const queryStartMs = ck.queryStartMs ?? range.startTimeMs;
  try {
    const page = await fetchFilterPage(
      opts.client,
      { ...range, startTimeMs: queryStartMs },
      ck.nextToken,
      opts.pacing,
    );
    return { page, queryStartMs };
  } catch (err) {
    if (
      ck.nextToken === undefined ||
      !isEfsinkError(err) ||
      err.code !== BackfillErrorCode.sourceFailed ||
      !/InvalidParameter/.test(err.message)
    ) {
      throw err;
    }
    opts.log.warn(
      { resumeFromMs: ck.resumeFromMs },
      'checkpoint token refused; restarting from the last timestamp read',
    );
    const from = Math.max(range.startTimeMs, ck.resumeFromMs ?? range.startTimeMs);
    const page = await fetchFilterPage(opts.client, { ...range, startTimeMs: from }, undefined, opts.pacing);
    return { page, queryStartMs: from };
  }
}
