import { readFile } from 'node:fs/promises';
import { describeReceived, EfsinkError } from '../../core/errors.js';
import type { RecordOutcome } from '../../replay/lambda-failures.js';
import { COMMON_SINK_OPTIONS, intFlag, parseCommandArgs, requireFlag, USAGE } from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';

export const REPLAY_HELP = `efsink replay lambda-failures --root DIR [FILE...]
efsink replay lambda-failures --root DIR --queue URL [--endpoint URL] [--region R] [--wait-seconds N]
    [--visibility-timeout-seconds N] [--max-messages N] [--s3-endpoint URL] [--log-group NAME] [--no-assemble]
  Re-lands the events of failed asynchronous Lambda invocations: Lambda invocation records as an
  on-failure destination holds them (SQS message body, SNS message, S3 object, EventBridge detail;
  JSON or JSON Lines; stdin when no FILE). Each record's requestPayload goes through the live path's
  own code (CloudWatch Logs subscription event, or SQS batch of S3 notifications), so what already
  landed is a no-op. --queue drains the queue, deleting a message only once its payload is durable.
  A record without payload or with another payload is reported with its code; the others land.
  Exit 0 only when every record landed (or was already there).

efsink replay firehose-backup --bucket B --prefix P --root DIR [--endpoint URL] [--region R] [--rate N]
    [--log-group NAME] [--delivery-stream NAME] [--page-size N] [--max-attempts N] [--no-assemble]
  Re-lands the records of the Firehose HTTP endpoint's S3 backup (the error records under the
  stream's failed-data prefix, http-endpoint-failed/ in FirehoseHttpEndpointToEfs) exactly as
  efsink serve would have: same framing, same routing, the receiver's request-timestamp pin; what
  the receiver already landed for a request is left out. Pass the receiver's --log-group. An object
  that is not Firehose error records is refused with its code; the others land. Resumable: rerun the
  same command after a crash (checkpoint of the last key, as backfill s3).`;

const LAMBDA_OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  queue: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  'wait-seconds': { type: 'string' },
  'visibility-timeout-seconds': { type: 'string' },
  'max-messages': { type: 'string' },
  's3-endpoint': { type: 'string' },
  'log-group': { type: 'string' },
  'no-assemble': { type: 'boolean' },
} as const;

async function replayFirehoseBackupCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream,
): Promise<number> {
  // Heavy modules load only for this command (the CLI starts fast for every other one).
  const { S3_OPTIONS, s3ObjectsCommand } = await import('./backfill.js');
  const { replayFirehoseBackupObject } = await import('../../replay/firehose-backup.js');
  const { requestPins } = await import('../../receiver/request-pins.js');
  const { values } = parseCommandArgs(
    argv,
    { ...S3_OPTIONS, 'delivery-stream': { type: 'string' } },
    'replay firehose-backup',
  );
  requireFlag(
    values.prefix,
    'replay firehose-backup: --prefix P is required (the backup prefix, for example http-endpoint-failed/)',
  );
  const { 'delivery-stream': deliveryStream, ...common } = values;
  return s3ObjectsCommand(common, out, 'replay firehose-backup', ({ config, sink, log }) => {
    const pins = requestPins(sink.layout);
    return {
      checkpointKind: 'firehose-backup',
      ingestObject: (ref, s3) =>
        replayFirehoseBackupObject(ref, {
          config,
          sink,
          s3,
          pins,
          log,
          logGroup: values['log-group'],
          deliveryStream,
        }),
    };
  });
}

const regionOf = (flag: string | undefined) =>
  flag ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

async function replayLambdaFailuresCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, LAMBDA_OPTIONS, 'replay lambda-failures');
  if (values.queue !== undefined && positionals.length > 0)
    throw new EfsinkError(USAGE, 'replay lambda-failures: give FILE... or --queue URL, not both');
  const waitSeconds = intFlag(values['wait-seconds'], 'wait-seconds') ?? 2;
  if (waitSeconds > 20) throw new EfsinkError(USAGE, '--wait-seconds must be 0–20 (SQS long polling)');
  const visibility = intFlag(values['visibility-timeout-seconds'], 'visibility-timeout-seconds') ?? 300;
  if (visibility < 1 || visibility > 43_200)
    throw new EfsinkError(USAGE, '--visibility-timeout-seconds must be 1–43200 (SQS VisibilityTimeout)');
  const maxMessages = intFlag(values['max-messages'], 'max-messages');
  const { config, sink, log } = sinkFromFlags(values);
  // Heavy modules load only for this command (the CLI starts fast for every other one).
  const { replayInvocationText } = await import('../../replay/lambda-failures.js');
  const { S3Client } = await import('@aws-sdk/client-s3');
  let s3: InstanceType<typeof S3Client> | undefined;
  const deps = {
    config,
    sink,
    log,
    logGroup: values['log-group'],
    s3: () => {
      s3 ??= new S3Client({
        region: regionOf(values.region),
        ...(values['s3-endpoint'] ? { endpoint: values['s3-endpoint'], forcePathStyle: true } : {}),
      });
      return s3;
    },
  };
  const outcomes: RecordOutcome[] = [];
  let queue: { received: number; deleted: number; kept: number } | undefined;
  try {
    if (values.queue !== undefined) {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      const { drainLambdaFailureQueue } = await import('../../replay/lambda-failures-queue.js');
      const client = new SQSClient({
        region: regionOf(values.region),
        ...(values.endpoint ? { endpoint: values.endpoint } : {}),
      });
      try {
        const r = await drainLambdaFailureQueue({
          queueUrl: values.queue,
          client,
          waitSeconds,
          visibilityTimeoutSeconds: visibility,
          maxMessages,
          deps,
        });
        outcomes.push(...r.outcomes);
        queue = { received: r.received, deleted: r.deleted, kept: r.kept };
      } finally {
        client.destroy();
      }
    } else {
      for (const file of positionals.length > 0 ? positionals : ['-']) {
        const where = file === '-' ? 'stdin' : file;
        let text: string;
        try {
          text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
        } catch (err) {
          const code = `FS_${(err as NodeJS.ErrnoException).code ?? 'UNKNOWN'}`;
          outcomes.push({ where, ok: false, code, message: (err as Error).message, ...NOTHING });
          continue;
        }
        outcomes.push(...(await replayInvocationText(text, where, deps)));
      }
    }
  } finally {
    s3?.destroy();
  }
  const failed = outcomes.filter((o) => !o.ok);
  for (const f of failed) process.stderr.write(`${f.where}: ${f.code}: ${f.message}\n`);
  const assembly = values['no-assemble'] === true ? undefined : await sink.assemble();
  for (const f of assembly?.failed ?? []) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
  const ok = outcomes.filter((o) => o.ok);
  out.write(
    `${JSON.stringify({
      records: outcomes.length,
      landed: ok.filter((o) => o.segmentsLanded > 0).length,
      alreadyPresent: ok.filter((o) => o.segmentsLanded === 0).length,
      bytesLanded: ok.reduce((n, o) => n + o.bytesWritten, 0),
      failed: failed.map((f) => ({ where: f.where, code: f.code })),
      ...(queue ? { messages: queue } : {}),
      // A record whose segments were assembled and pruned already is written again, then skipped
      // here by name (the journal keeps it): duplicateSegments, not appendedSegments.
      ...(assembly
        ? {
            assembly: {
              appendedSegments: assembly.files.reduce((n, f) => n + f.appendedSegments, 0),
              duplicateSegments: assembly.files.reduce((n, f) => n + f.duplicateSegments, 0),
              failed: assembly.failed.length,
            },
          }
        : {}),
    })}\n`,
  );
  return failed.length === 0 && (assembly?.failed.length ?? 0) === 0 ? 0 : 1;
}

const NOTHING = { segmentsLanded: 0, segmentsAlreadyPresent: 0, bytesWritten: 0 } as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const SOURCES: Record<string, (argv: readonly string[], out: NodeJS.WritableStream) => Promise<number>> = {
  'lambda-failures': replayLambdaFailuresCommand,
  'firehose-backup': replayFirehoseBackupCommand,
};

/** `efsink replay lambda-failures|firehose-backup …` */
export async function replayCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const [source, ...rest] = argv;
  const run = source === undefined ? undefined : SOURCES[source];
  if (run === undefined)
    throw new EfsinkError(
      USAGE,
      `replay: unknown failure channel ${describeReceived(source)} (allowed: ${Object.keys(SOURCES).join(', ')})`,
    );
  return run(rest, out);
}
