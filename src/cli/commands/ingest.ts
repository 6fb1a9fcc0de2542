import { readFile } from 'node:fs/promises';
import { describeReceived, EfsinkError, isEfsinkError } from '../../core/errors.js';
import { ingestCloudWatchLogsEvent } from '../../lambda/cloudwatch-logs.js';
import { noMetrics } from '../../observability/metrics.js';
import { COMMON_SINK_OPTIONS, parseCommandArgs, USAGE } from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';

export const INGEST_HELP = `efsink ingest cloudwatch --root DIR [FILE...]
  Lands CloudWatch Logs subscription Lambda events (JSON files, or stdin when no FILE) durably under DIR.
  Exit 0 only when every unit is durable.`;

export async function ingestCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const [source, ...rest] = argv;
  if (source !== 'cloudwatch') {
    throw new EfsinkError(USAGE, `ingest: unknown source ${describeReceived(source)} (allowed: cloudwatch)`);
  }
  const { values, positionals } = parseCommandArgs(rest, COMMON_SINK_OPTIONS, 'ingest cloudwatch');
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
