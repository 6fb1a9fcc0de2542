import { readFile } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { codeOf, EXIT } from '../../core/error-catalogue.js';
import { EfsinkError } from '../../core/errors.js';
import { type RecordOutcome, replayInvocationText } from '../../replay/lambda-failures.js';
import { openSink } from '../open-sink.js';
import type { CommandContext, REPLAY_LAMBDA_FAILURES_KEYS } from '../registry.js';

/**
 * `efsink replay lambda-failures`: invocation records from files, stdin or a queue (--queue), each
 * record's requestPayload through the live handler's own code; a queue message is deleted only once
 * its payload is durable. Exit 0 only when every record landed (or was already there).
 */
export async function replayLambdaFailuresCommand({
  settings,
  positionals,
  out,
}: CommandContext<(typeof REPLAY_LAMBDA_FAILURES_KEYS)[number]>): Promise<number> {
  if (settings.queue !== undefined && positionals.length > 0)
    throw new EfsinkError('CLI_USAGE', 'replay lambda-failures: give FILE... or --queue URL, not both');
  const { config, sink, log } = await openSink(settings);
  let s3: S3Client | undefined;
  const { S3Client: S3 } = await import('@aws-sdk/client-s3');
  const deps = {
    config,
    sink,
    log,
    logGroup: settings.logGroup,
    s3: () => {
      // Region and credentials: the AWS SDK's chain (AWS_REGION, ~/.aws/config) unless --region.
      s3 ??= new S3({
        ...(settings.region !== undefined ? { region: settings.region } : {}),
        ...(settings.s3Endpoint !== undefined ? { endpoint: settings.s3Endpoint, forcePathStyle: true } : {}),
      });
      return s3;
    },
  };
  const outcomes: RecordOutcome[] = [];
  let queue: { received: number; deleted: number; kept: number } | undefined;
  try {
    if (settings.queue !== undefined) {
      const { createSqsClient, drainLambdaFailureQueue } = await import(
        '../../replay/lambda-failures-queue.js'
      );
      const client = createSqsClient({ region: settings.region, endpoint: settings.endpoint });
      try {
        const r = await drainLambdaFailureQueue({
          queueUrl: settings.queue,
          client,
          waitSeconds: settings.waitSeconds,
          visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
          maxMessages: settings.maxMessages,
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
          outcomes.push({ where, ok: false, code: codeOf(err), message: (err as Error).message, ...NOTHING });
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
  const assembly = settings.noAssemble ? undefined : await sink.assemble();
  for (const f of assembly?.failed ?? []) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
  const ok = outcomes.filter((o) => o.ok);
  const result = {
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
  };
  if (settings.json) out.write(`${JSON.stringify(result)}\n`);
  else
    out.write(
      `replay complete: ${result.records} record(s), ${result.landed} landed (${result.bytesLanded} bytes), ${result.alreadyPresent} already on EFS, ${failed.length} failed${queue ? `; ${queue.received} message(s) received, ${queue.deleted} deleted, ${queue.kept} kept` : ''}${assembly ? `; assembled ${result.assembly?.appendedSegments} segment(s), ${assembly.failed.length} file(s) failed` : ''}\n`,
    );
  return failed.length === 0 && (assembly?.failed.length ?? 0) === 0 ? EXIT.ok : EXIT.failed;
}

const NOTHING = { segmentsLanded: 0, segmentsAlreadyPresent: 0, bytesWritten: 0 } as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
