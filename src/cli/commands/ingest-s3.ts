import { createS3Client } from '../../backfill/s3-source.js';
import { EXIT } from '../../core/error-catalogue.js';
import { ingestS3Object } from '../../lambda/s3-sqs.js';
import { noMetrics } from '../../observability/metrics.js';
import { openSink } from '../open-sink.js';
import type { CommandContext, INGEST_S3_KEYS } from '../registry.js';

/** `efsink ingest s3`: one object, the S3 path's Lambda code; S3 errors print as `S3_<name>` (exit 1). */
export async function ingestS3Command({
  settings,
  out,
}: CommandContext<(typeof INGEST_S3_KEYS)[number], 'bucket' | 'key'>): Promise<number> {
  const { config, sink, log } = await openSink(settings);
  // One request, no pacing: the SDK's own retries (3 attempts, its default) apply.
  const s3 = createS3Client({ endpoint: settings.endpoint, region: settings.region, maxAttempts: 3 });
  try {
    const ref = { bucket: settings.bucket, key: settings.key, versionId: settings.versionId };
    const r = await ingestS3Object(ref, {
      config,
      sink,
      s3,
      log,
      metrics: noMetrics,
      logGroup: settings.logGroup,
    });
    const duplicate = r.segmentsLanded === 0 && r.segmentsAlreadyPresent > 0;
    if (settings.json) {
      out.write(
        `${JSON.stringify({ bucket: r.bucket, key: r.key, bytesLanded: r.bytesWritten, duplicate })}\n`,
      );
    } else {
      out.write(
        `ingested s3://${r.bucket}/${r.key}: ${r.bytesWritten} bytes landed${duplicate ? ', duplicate' : ''}\n`,
      );
    }
    return EXIT.ok;
  } finally {
    s3.destroy();
  }
}
