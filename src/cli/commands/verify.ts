import { createLogsClient } from '../../backfill/cloudwatch-source.js';
import { createProgress } from '../../backfill/progress.js';
import { createS3Client } from '../../backfill/s3-source.js';
import { verifyCloudWatch } from '../../backfill/verify-cloudwatch.js';
import { isS3ExactMatch, verifyS3 } from '../../backfill/verify-s3.js';
import { EfsinkError } from '../../core/errors.js';
import { isExactMatch } from '../../core/verify/compare.js';
import {
  bySource,
  COMMON_SINK_OPTIONS,
  intFlag,
  parseCommandArgs,
  requireFlag,
  SOURCE_OPTIONS,
  USAGE,
} from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';
import { DEFAULT_RATE_PER_SECOND, DEFAULT_S3_RATE_PER_SECOND, pacingFromFlags } from './backfill.js';
import { parseRange } from './time-range.js';

export const VERIFY_HELP = `efsink verify cloudwatch --log-group G --start T --end T --root DIR [--json] [--endpoint URL]
    [--region R] [--rate N] [--samples N] [--partitions N] [--temp-dir DIR] [--owner ACCOUNT]
  Reads the source and the assembled files the range maps to (hourly files: widened to whole hours)
  and reports missing, extra and duplicated lines with samples; segments landed but not yet
  assembled are reported apart. Bounded memory (hash-partitioned spill under --temp-dir).
  Exit 0 only on an exact match, 1 on any difference.

efsink verify s3 --bucket B [--prefix P] --root DIR [--json] [--endpoint URL] [--region R] [--rate N]
    [--log-group NAME] [--page-size N] [--samples N] [--partitions N] [--temp-dir DIR]
  Reads every object under the prefix (gunzipped when gzip), routes and frames it as the S3 path
  does (one object = one entry) and compares its lines with the assembled files, as verify
  cloudwatch does. Objects that cannot be read or decoded are listed and prevent an exact match.
  Files under the same routing outside the prefix's objects show up as extra lines.`;

const OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  'log-group': { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  ...SOURCE_OPTIONS,
  owner: { type: 'string' },
  json: { type: 'boolean' },
  samples: { type: 'string' },
  partitions: { type: 'string' },
  'temp-dir': { type: 'string' },
} as const;

const S3_OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  ...SOURCE_OPTIONS,
  'log-group': { type: 'string' },
  'page-size': { type: 'string' },
  json: { type: 'boolean' },
  samples: { type: 'string' },
  partitions: { type: 'string' },
  'temp-dir': { type: 'string' },
} as const;

async function verifyS3Command(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, S3_OPTIONS, 'verify s3');
  if (!values.bucket) throw new EfsinkError(USAGE, 'verify s3: --bucket B is required');
  const partitions = intFlag(values.partitions, 'partitions');
  if (partitions !== undefined && (partitions < 1 || partitions > 65_536))
    throw new EfsinkError(USAGE, '--partitions must be between 1 and 65536');
  const pageSize = intFlag(values['page-size'], 'page-size');
  if (pageSize !== undefined && (pageSize < 1 || pageSize > 1000))
    throw new EfsinkError(USAGE, '--page-size must be between 1 and 1000 (ListObjectsV2 MaxKeys)');
  const { config, sink, log } = sinkFromFlags(values);
  const client = createS3Client({ endpoint: values.endpoint, region: values.region });
  try {
    const report = await verifyS3({
      bucket: values.bucket,
      prefix: values.prefix,
      logGroup: values['log-group'],
      config,
      layout: sink.layout,
      client,
      pacing: pacingFromFlags(values, DEFAULT_S3_RATE_PER_SECOND, log),
      pageSize,
      partitions,
      maxSamples: intFlag(values.samples, 'samples') ?? 10,
      tempDir: values['temp-dir'],
      ...(values.json ? {} : { progress: createProgress(process.stderr, 'verify', { unit: 'objects' }) }),
    });
    const ok = isS3ExactMatch(report);
    const c = report.comparison;
    if (values.json) {
      out.write(`${JSON.stringify({ ok, ...report })}\n`);
      return ok ? 0 : 1;
    }
    const lines = [
      `verify s3://${report.bucket}/${report.prefix}: ${ok ? 'EXACT MATCH' : 'MISMATCH'}`,
      `  source: ${report.sourceObjects} objects, ${c.sourceLines} lines; stored: ${c.storedLines} lines in ${report.files.filter((f) => f.exists).length} file(s)`,
      `  missing: ${c.missing.count}  extra: ${c.extra.count}  duplicated: ${c.duplicated.count}  unreadable objects: ${report.unreadableObjects.length}  pending segments: ${report.pendingSegments}`,
    ];
    for (const u of report.unreadableObjects) lines.push(`  unreadable ${u.key}: ${u.code}: ${u.message}`);
    for (const [name, cls] of [
      ['missing', c.missing],
      ['extra', c.extra],
      ['duplicated', c.duplicated],
    ] as const) {
      for (const s of cls.samples)
        lines.push(`  ${name} ×${s.times} ${s.relPath}: ${JSON.stringify(s.line)}`);
    }
    if (report.pendingSegments > 0)
      lines.push('  (pending segments are not yet in the files: run efsink assemble)');
    out.write(`${lines.join('\n')}\n`);
    return ok ? 0 : 1;
  } finally {
    client.destroy();
  }
}

async function verifyCloudWatchCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS, 'verify cloudwatch');
  const logGroup = requireFlag(values['log-group'], '--log-group G is required');
  const { startMs, endMs } = parseRange(values.start, values.end);
  const { config, sink, log } = sinkFromFlags(values);
  const pacing = pacingFromFlags(values, DEFAULT_RATE_PER_SECOND, log);
  const partitions = intFlag(values.partitions, 'partitions');
  if (partitions !== undefined && (partitions < 1 || partitions > 65_536))
    throw new EfsinkError(USAGE, '--partitions must be between 1 and 65536');
  const report = await verifyCloudWatch({
    logGroup,
    startMs,
    endMs,
    extraValues: values.owner !== undefined ? { owner: values.owner } : {},
    template: config.template,
    layout: sink.layout,
    client: createLogsClient({ endpoint: values.endpoint, region: values.region }),
    pacing,
    partitions,
    maxSamples: intFlag(values.samples, 'samples') ?? 10,
    tempDir: values['temp-dir'],
    ...(values.json ? {} : { progress: createProgress(process.stderr, 'verify') }),
  });
  const ok = isExactMatch(report.comparison);
  const c = report.comparison;
  if (values.json) {
    out.write(
      `${JSON.stringify({ ok, ...report, startTime: new Date(report.startMs).toISOString(), endTime: new Date(report.endMs).toISOString() })}\n`,
    );
    return ok ? 0 : 1;
  }
  const lines = [
    `verify ${logGroup} ${new Date(report.startMs).toISOString()} .. ${new Date(report.endMs).toISOString()}: ${ok ? 'EXACT MATCH' : 'MISMATCH'}`,
    `  source: ${report.sourceEvents} events, ${c.sourceLines} lines; stored: ${c.storedLines} lines in ${report.files.filter((f) => f.exists).length} file(s)`,
    `  missing: ${c.missing.count}  extra: ${c.extra.count}  duplicated: ${c.duplicated.count}  pending segments: ${report.pendingSegments}`,
  ];
  for (const [name, cls] of [
    ['missing', c.missing],
    ['extra', c.extra],
    ['duplicated', c.duplicated],
  ] as const) {
    for (const s of cls.samples) lines.push(`  ${name} ×${s.times} ${s.relPath}: ${JSON.stringify(s.line)}`);
  }
  if (report.pendingSegments > 0)
    lines.push('  (pending segments are not yet in the files: run efsink assemble)');
  out.write(`${lines.join('\n')}\n`);
  return ok ? 0 : 1;
}

export const verifyCommand = bySource('verify', { cloudwatch: verifyCloudWatchCommand, s3: verifyS3Command });
