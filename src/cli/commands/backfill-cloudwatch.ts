import { backfillCloudWatch } from '../../backfill/backfill-cloudwatch.js';
import { createLogsClient } from '../../backfill/cloudwatch-source.js';
import { EXIT } from '../../core/error-catalogue.js';
import { EfsinkError } from '../../core/errors.js';
import { openSink } from '../open-sink.js';
import { pacingOf, progressOf, timeRangeOf } from '../pacing.js';
import type { BACKFILL_CLOUDWATCH_KEYS, CommandContext } from '../registry.js';

/** CloudWatch retries subscription deliveries for up to 24 h (CloudWatch Logs Subscriptions). */
const LIVE_REDELIVERY_WINDOW_MS = 24 * 3_600_000;

export async function backfillCloudWatchCommand({
  settings,
  out,
}: CommandContext<
  (typeof BACKFILL_CLOUDWATCH_KEYS)[number],
  'logGroup' | 'start' | 'end' | 'rate'
>): Promise<number> {
  const { logGroup } = settings;
  const { startMs, endMs } = timeRangeOf(settings);
  const { config, sink, log } = await openSink(settings);
  if (config.template.source.includes('{owner}') && settings.owner === undefined) {
    throw new EfsinkError(
      'CLI_USAGE',
      `the path template ${config.template.source} uses {owner}: pass --owner ACCOUNT_ID`,
    );
  }
  const retries = { count: 0 };
  const pacing = pacingOf(settings, log, retries);
  if (endMs > Date.now() - LIVE_REDELIVERY_WINDOW_MS) {
    process.stderr.write(
      'warning: the range ends less than 24 h ago; events the live subscription delivers after this backfill would be written twice (ADR 0004)\n',
    );
  }
  const progress = progressOf('backfill', settings, retries);
  const report = await backfillCloudWatch({
    logGroup,
    startMs,
    endMs,
    extraValues: settings.owner !== undefined ? { owner: settings.owner } : {},
    config,
    sink,
    client: createLogsClient({ endpoint: settings.endpoint, region: settings.region }),
    pacing,
    assemble: !settings.noAssemble,
    log,
    progress,
  });
  const c = report.checkpoint;
  const failed = report.assembly?.failed ?? [];
  for (const f of failed) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
  const summary = `backfill ${report.resumed ? 'resumed and ' : ''}complete: ${c.pages} page(s), ${c.eventsRead} events read, ${c.eventsLanded} landed (${c.bytesLanded} bytes), ${c.eventsSkipped} already on EFS${report.unknownSegments > 0 ? `, ${report.unknownSegments} segment(s) without sidecar (not deduplicated)` : ''}`;
  if (settings.json) {
    progress.done(summary);
    out.write(
      `${JSON.stringify({ pages: c.pages, eventsRead: c.eventsRead, eventsLanded: c.eventsLanded, eventsSkipped: c.eventsSkipped, bytesLanded: c.bytesLanded, retries: retries.count, assemblyFailed: failed.length })}\n`,
    );
  } else {
    progress.done();
    out.write(`${summary}${retries.count > 0 ? `; ${retries.count} source request(s) retried` : ''}\n`);
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}
