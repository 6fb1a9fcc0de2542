import { hourOf, type PathTemplate, renderPath, type TemplateValues } from '../core/layout/path-template.js';
import { eventIdKey, planUnit, timeKey, type UnitPlan, unitIdOf } from '../core/write/plan-segments.js';

/** One event as FilterLogEvents returns it, message already as bytes. */
export interface SourceEvent {
  readonly logStreamName: string;
  readonly eventId: string;
  readonly timestamp: number;
  readonly message: Uint8Array;
}

export interface BackfillPagePlan {
  readonly units: UnitPlan[];
  /** Events already on EFS (or landed) for their stream and output file: not planned again. */
  readonly skipped: number;
  readonly planned: number;
}

/**
 * Plans one FilterLogEvents page as backfill units (ADR 0004). A unit is a maximal run of one
 * stream's events within the page that route to the same output file and UTC hour and are not
 * already covered; its identity is log group + stream + hour + first/last event id + count, so
 * replanning the same page against the same coverage yields the same segment names.
 *
 * Segment names follow the live path's scheme (`<time of first event>-<first id>~<unit id>.seg`),
 * so live and backfill segments of one file are assembled in one stable order.
 */
export function planBackfillPage(
  logGroup: string,
  events: readonly SourceEvent[],
  template: PathTemplate,
  extraValues: TemplateValues,
  isCovered: (relPath: string, logStream: string, eventId: string) => boolean,
): BackfillPagePlan {
  const open = new Map<string, SourceEvent[]>();
  const runs: SourceEvent[][] = [];
  let skipped = 0;
  const pathCache = new Map<string, string>();
  for (const e of events) {
    const hour = hourOf(e.timestamp);
    const pathKey = `${e.logStreamName}\0${template.usesTime ? hour : 0}`;
    let relPath = pathCache.get(pathKey);
    if (relPath === undefined) {
      relPath = renderPath(template, valuesOf(logGroup, e.logStreamName, extraValues), e.timestamp);
      pathCache.set(pathKey, relPath);
    }
    const key = `${e.logStreamName}\0${hour}\0${relPath}`;
    if (isCovered(relPath, e.logStreamName, e.eventId)) {
      skipped++;
      open.delete(key); // a covered event ends the run: unit ranges stay contiguous
      continue;
    }
    let run = open.get(key);
    if (run === undefined) {
      run = [];
      open.set(key, run);
      runs.push(run);
    }
    run.push(e);
  }
  const units = runs.map((run) => planRun(logGroup, run, template, extraValues));
  return { units, skipped, planned: events.length - skipped };
}

function planRun(
  logGroup: string,
  run: readonly SourceEvent[],
  template: PathTemplate,
  extraValues: TemplateValues,
): UnitPlan {
  const first = run[0] as SourceEvent;
  const last = run[run.length - 1] as SourceEvent;
  const unitId = unitIdOf('cwl-backfill', [
    logGroup,
    first.logStreamName,
    hourOf(first.timestamp),
    first.eventId,
    last.eventId,
    run.length,
  ]);
  return planUnit(
    unitId,
    run.map((e) => ({ timestampMs: e.timestamp, bytes: e.message })),
    template,
    valuesOf(logGroup, first.logStreamName, extraValues),
    (i) => {
      const e = run[i] as SourceEvent;
      return `${timeKey(e.timestamp)}-${eventIdKey(e.eventId)}`;
    },
    (fi, li, count) => ({
      v: 1,
      logGroup,
      logStream: first.logStreamName,
      firstEventId: (run[fi] as SourceEvent).eventId,
      lastEventId: (run[li] as SourceEvent).eventId,
      eventCount: count,
    }),
  );
}

export function valuesOf(logGroup: string, logStream: string, extra: TemplateValues): TemplateValues {
  return { ...extra, logGroup, logStream };
}
