import { resolveSettings } from '../config/settings-resolve.js';
import { SINK_KEYS, sinkConfigOf } from '../config/sink-config.js';
import { EfsinkError } from '../core/errors.js';
import type { AssembleReport } from '../io/assemble.js';
import { createSink } from '../io/sink.js';
import { METRICS_SERVICE, MetricName } from '../observability/metrics.js';
import { powertools } from './powertools.js';

const settings = resolveSettings([...SINK_KEYS, 'logLevel'] as const, { env: process.env });
const config = sinkConfigOf(settings);
const { log, metrics, flush } = powertools(METRICS_SERVICE.assembler, settings.logLevel);
const sink = createSink(config, { log });

/**
 * Scheduled assembly pass (EventBridge schedule; reserved concurrency 1 keeps passes from piling
 * up, the per-file lease keeps them correct if they do). Fails the invocation if any file failed,
 * so that the failure is visible in the function's Errors metric.
 */
export async function handler(): Promise<Pick<AssembleReport, 'failed'> & { files: number }> {
  try {
    const report = await sink.assemble().catch((err: unknown) => {
      metrics.count(MetricName.assemblyFailures, 1);
      throw err;
    });
    metrics.count(MetricName.assemblyFailures, report.failed.length > 0 ? 1 : 0);
    metrics.seconds(
      MetricName.oldestUnassembledSegmentAgeSeconds,
      Math.round(report.oldestUnassembledAgeMs / 1000),
    );
    log.info(
      {
        files: report.files.length,
        failed: report.failed.length,
        // Sealing (ADR 0017): its failures are logged with their codes and never fail the invocation.
        ...(report.seal
          ? { sealedFiles: report.seal.sealedFiles, sealFailures: report.seal.failures.length }
          : {}),
      },
      'assembly pass done',
    );
    if (report.failed.length > 0) {
      // One code for the invocation, whatever the files' codes: each file's own code is in the
      // log line assemblePass wrote for it; the first is repeated here for the error report.
      const first = report.failed[0];
      throw new EfsinkError(
        'ASSEMBLE_FAILED',
        `${report.failed.length} file(s) failed; first: ${first?.relPath}: ${first?.code}: ${first?.message}`,
      );
    }
    return { files: report.files.length, failed: [] };
  } finally {
    flush();
  }
}
