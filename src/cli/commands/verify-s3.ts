import { createS3Client } from '../../backfill/s3-source.js';
import { isS3ExactMatch, verifyS3 } from '../../backfill/verify-s3.js';
import { EXIT } from '../../core/error-catalogue.js';
import { openSink } from '../open-sink.js';
import { pacingOf, progressOf } from '../pacing.js';
import type { CommandContext, VERIFY_S3_KEYS } from '../registry.js';
import { differenceLines } from './verify-report.js';

export async function verifyS3Command({
  settings,
  out,
}: CommandContext<(typeof VERIFY_S3_KEYS)[number], 'bucket' | 'rate'>): Promise<number> {
  const { config, sink, log } = await openSink(settings);
  const retries = { count: 0 };
  const client = createS3Client({ endpoint: settings.endpoint, region: settings.region });
  try {
    const report = await verifyS3({
      bucket: settings.bucket,
      prefix: settings.prefix,
      logGroup: settings.logGroup,
      config,
      layout: sink.layout,
      client,
      pacing: pacingOf(settings, log, retries),
      pageSize: settings.pageSize,
      partitions: settings.partitions,
      maxSamples: settings.samples,
      tempDir: settings.tempDir,
      ...(settings.json
        ? {}
        : {
            progress: progressOf('verify', settings, retries, 'objects'),
          }),
    });
    const ok = isS3ExactMatch(report);
    const c = report.comparison;
    if (settings.json) {
      out.write(`${JSON.stringify({ ok, ...report, retries: retries.count })}\n`);
      return ok ? EXIT.ok : EXIT.differences;
    }
    const lines = [
      `verify s3://${report.bucket}/${report.prefix}: ${ok ? 'EXACT MATCH' : 'MISMATCH'}`,
      `  source: ${report.sourceObjects} objects, ${c.sourceLines} lines; stored: ${c.storedLines} lines in ${report.files.filter((f) => f.exists).length} file(s)`,
      `  missing: ${c.missing.count}  extra: ${c.extra.count}  duplicated: ${c.duplicated.count}  unreadable objects: ${report.unreadableObjects.length}  pending segments: ${report.pendingSegments}`,
    ];
    for (const u of report.unreadableObjects) lines.push(`  unreadable ${u.key}: ${u.code}: ${u.message}`);
    lines.push(...differenceLines(c, report.pendingSegments));
    out.write(`${lines.join('\n')}\n`);
    return ok ? EXIT.ok : EXIT.differences;
  } finally {
    client.destroy();
  }
}
