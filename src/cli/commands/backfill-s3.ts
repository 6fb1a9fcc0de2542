import { backfillS3, type S3BackfillOptions } from '../../backfill/backfill-s3.js';
import { createS3Client } from '../../backfill/s3-source.js';
import type { Settings } from '../../config/settings.js';
import type { SinkConfig } from '../../config/sink-config.js';
import { EXIT } from '../../core/error-catalogue.js';
import type { Sink } from '../../io/sink.js';
import type { Logger } from '../../observability/logger.js';
import { openSink } from '../open-sink.js';
import { pacingOf, progressOf } from '../pacing.js';
import type { BACKFILL_S3_KEYS, CommandContext } from '../registry.js';

export type S3ObjectsSettings = Settings<(typeof BACKFILL_S3_KEYS)[number], 'bucket' | 'rate'>;

export function backfillS3Command({
  settings,
  out,
}: CommandContext<(typeof BACKFILL_S3_KEYS)[number], 'bucket' | 'rate'>): Promise<number> {
  return s3ObjectsCommand(settings, out, 'backfill');
}

/**
 * `backfill s3` and `replay firehose-backup`: list the objects under the prefix, land each
 * (`custom` gives the per-object function and the checkpoint's kind; default the S3 path's
 * ingestS3Object), checkpoint after each, report. Exit 1 if any object or file failed.
 */
export async function s3ObjectsCommand(
  settings: S3ObjectsSettings,
  out: NodeJS.WritableStream,
  verb: string,
  custom?: (ctx: {
    config: SinkConfig;
    sink: Sink;
    log: Logger;
  }) => Pick<S3BackfillOptions, 'ingestObject' | 'checkpointKind'>,
): Promise<number> {
  const { config, sink, log } = await openSink(settings);
  const retries = { count: 0 };
  const pacing = pacingOf(settings, log, retries);
  const progress = progressOf(verb, settings, retries, 'objects');
  // Region and credentials: the AWS SDK's chain (AWS_REGION, ~/.aws/config) unless --region.
  const client = createS3Client({ endpoint: settings.endpoint, region: settings.region });
  try {
    const report = await backfillS3({
      bucket: settings.bucket,
      prefix: settings.prefix,
      logGroup: settings.logGroup,
      config,
      sink,
      client,
      pacing,
      pageSize: settings.pageSize,
      assemble: !settings.noAssemble,
      log,
      progress,
      ...custom?.({ config, sink, log }),
    });
    const c = report.checkpoint;
    const failed = report.assembly?.failed ?? [];
    for (const f of c.failed)
      process.stderr.write(`s3://${settings.bucket}/${f.key}: ${f.code}: ${f.message}\n`);
    for (const k of report.vanished)
      process.stderr.write(`s3://${settings.bucket}/${k}: failed earlier and no longer exists; dropped\n`);
    for (const f of failed) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
    const summary = `${verb} ${report.resumed ? 'resumed and ' : ''}complete: ${c.pages} page(s), ${c.objectsRead} objects read, ${c.objectsLanded} landed (${c.bytesLanded} bytes), ${c.objectsAlreadyPresent} already on EFS, ${c.failed.length} failed`;
    if (settings.json) {
      progress.done(summary);
      const files = report.assembly?.files ?? [];
      out.write(
        `${JSON.stringify({
          pages: c.pages,
          objectsRead: c.objectsRead,
          objectsLanded: c.objectsLanded,
          objectsAlreadyPresent: c.objectsAlreadyPresent,
          bytesLanded: c.bytesLanded,
          recovered: report.recovered,
          retries: retries.count,
          failed: c.failed.map((f) => ({ key: f.key, code: f.code })),
          assemblyFailed: failed.length,
          // A unit whose segments were assembled and pruned lands again and is skipped by name.
          assembly: {
            appendedSegments: files.reduce((n, f) => n + f.appendedSegments, 0),
            duplicateSegments: files.reduce((n, f) => n + f.duplicateSegments, 0),
          },
        })}\n`,
      );
    } else {
      progress.done();
      out.write(`${summary}${retries.count > 0 ? `; ${retries.count} source request(s) retried` : ''}\n`);
    }
    return failed.length === 0 && c.failed.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    client.destroy();
  }
}
