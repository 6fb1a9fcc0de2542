import { createLogsClient } from '../../backfill/cloudwatch-source.js';
import { verifyCloudWatch } from '../../backfill/verify-cloudwatch.js';
import { EXIT } from '../../core/error-catalogue.js';
import { isExactMatch } from '../../core/verify/compare.js';
import { openSink } from '../open-sink.js';
import { pacingOf, progressOf, timeRangeOf } from '../pacing.js';
import type { CommandContext, VERIFY_CLOUDWATCH_KEYS } from '../registry.js';
import { differenceLines } from './verify-report.js';

export async function verifyCloudWatchCommand({
  settings,
  out,
}: CommandContext<
  (typeof VERIFY_CLOUDWATCH_KEYS)[number],
  'logGroup' | 'start' | 'end' | 'rate'
>): Promise<number> {
  const { logGroup } = settings;
  const { startMs, endMs } = timeRangeOf(settings);
  const { config, sink, log } = await openSink(settings);
  const retries = { count: 0 };
  const report = await verifyCloudWatch({
    logGroup,
    startMs,
    endMs,
    extraValues: settings.owner !== undefined ? { owner: settings.owner } : {},
    template: config.template,
    layout: sink.layout,
    client: createLogsClient({ endpoint: settings.endpoint, region: settings.region }),
    pacing: pacingOf(settings, log, retries),
    partitions: settings.partitions,
    maxSamples: settings.samples,
    tempDir: settings.tempDir,
    ...(settings.json
      ? {}
      : {
          progress: progressOf('verify', settings, retries),
        }),
  });
  const ok = isExactMatch(report.comparison);
  const c = report.comparison;
  if (settings.json) {
    out.write(
      `${JSON.stringify({ ok, ...report, retries: retries.count, startTime: new Date(report.startMs).toISOString(), endTime: new Date(report.endMs).toISOString() })}\n`,
    );
    return ok ? EXIT.ok : EXIT.differences;
  }
  const lines = [
    `verify ${logGroup} ${new Date(report.startMs).toISOString()} .. ${new Date(report.endMs).toISOString()}: ${ok ? 'EXACT MATCH' : 'MISMATCH'}`,
    `  source: ${report.sourceEvents} events, ${c.sourceLines} lines; stored: ${c.storedLines} lines in ${report.files.filter((f) => f.exists).length} file(s)`,
    `  missing: ${c.missing.count}  extra: ${c.extra.count}  duplicated: ${c.duplicated.count}  pending segments: ${report.pendingSegments}`,
    ...differenceLines(c, report.pendingSegments),
  ];
  out.write(`${lines.join('\n')}\n`);
  return ok ? EXIT.ok : EXIT.differences;
}
