import { readFile } from 'node:fs/promises';
import { EfsinkError, isEfsinkError } from '../../core/errors.js';
import { ingestCloudWatchLogsEvent } from '../../lambda/cloudwatch-logs.js';
import { ingestS3Object } from '../../lambda/s3-sqs.js';
import { noMetrics } from '../../observability/metrics.js';
import { bySource, COMMON_SINK_OPTIONS, parseCommandArgs, USAGE } from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';

export const INGEST_HELP = `efsink ingest cloudwatch --root DIR [FILE...]
  Lands CloudWatch Logs subscription Lambda events (JSON files, or stdin when no FILE) durably under DIR.
  Exit 0 only when every unit is durable.

efsink ingest s3 --root DIR --bucket B --key K [--version-id V] [--endpoint URL] [--log-group NAME]
  Lands one S3 object written by Firehose (the S3 path's Lambda code; key as stored, not URL-encoded).
  Credentials and region from the AWS SDK's default chain (AWS_REGION, default us-east-1).`;

const S3_OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  bucket: { type: 'string' },
  key: { type: 'string' },
  'version-id': { type: 'string' },
  endpoint: { type: 'string' },
  'log-group': { type: 'string' },
} as const;

async function ingestS3Command(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, S3_OPTIONS, 'ingest s3');
  if (!values.bucket || !values.key)
    throw new EfsinkError(USAGE, 'ingest s3: --bucket B and --key K are required');
  const { config, sink, log } = sinkFromFlags(values);
  const { S3Client } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(values.endpoint ? { endpoint: values.endpoint, forcePathStyle: true } : {}),
  });
  try {
    const ref = { bucket: values.bucket, key: values.key, versionId: values['version-id'] };
    const r = await ingestS3Object(ref, {
      config,
      sink,
      s3,
      log,
      metrics: noMetrics,
      logGroup: values['log-group'],
    });
    const dup = r.segmentsLanded === 0 && r.segmentsAlreadyPresent > 0;
    out.write(
      `ingested s3://${r.bucket}/${r.key}: ${r.bytesWritten} bytes landed${dup ? ', duplicate' : ''}\n`,
    );
    return 0;
  } catch (err) {
    if (isEfsinkError(err)) throw err;
    const e = err as { name?: string; message?: string };
    process.stderr.write(`S3_${e.name ?? 'ERROR'}: ${e.message ?? String(err)}\n`);
    return 1;
  } finally {
    s3.destroy();
  }
}

async function ingestCloudWatchCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, COMMON_SINK_OPTIONS, 'ingest cloudwatch');
  const { config, sink, log } = sinkFromFlags(values);
  const inputs = positionals.length > 0 ? positionals : ['-'];
  let units = 0;
  let events = 0;
  let bytes = 0;
  let duplicates = 0;
  let failed = 0;
  for (const file of inputs) {
    try {
      const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch (err) {
        throw new EfsinkError('INPUT_INVALID_JSON', `not a JSON Lambda event (${(err as Error).message})`);
      }
      const r = await ingestCloudWatchLogsEvent(event, { config, sink, log, metrics: noMetrics });
      units++;
      events += r.events;
      bytes += r.bytesWritten;
      if (r.segmentsLanded === 0 && r.segmentsAlreadyPresent > 0) duplicates++;
    } catch (err) {
      failed++;
      const code = isEfsinkError(err) ? err.code : `FS_${(err as NodeJS.ErrnoException).code ?? 'UNKNOWN'}`;
      process.stderr.write(`${file === '-' ? 'stdin' : file}: ${code}: ${(err as Error).message}\n`);
      if (!isEfsinkError(err) && !(err as NodeJS.ErrnoException).code) throw err;
    }
  }
  out.write(
    `ingested ${units} unit(s): ${events} events, ${bytes} bytes landed, ${duplicates} duplicate(s), ${failed} failed\n`,
  );
  return failed === 0 ? 0 : 1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const ingestCommand = bySource('ingest', { cloudwatch: ingestCloudWatchCommand, s3: ingestS3Command });
