import { readFile } from 'node:fs/promises';
import { codeOf, EXIT } from '../../core/error-catalogue.js';
import { EfsinkError } from '../../core/errors.js';
import { mapBounded } from '../../io/map-bounded.js';
import { ingestCloudWatchLogsEvent } from '../../lambda/cloudwatch-logs.js';
import { noMetrics } from '../../observability/metrics.js';
import { openSink } from '../open-sink.js';
import type { CommandContext, INGEST_CLOUDWATCH_KEYS } from '../registry.js';

/**
 * Files landed at once. Decoding is synchronous CPU work and landing waits on fsync (libuv's thread
 * pool), so with two in flight one file decodes while the other's segments become durable; units
 * are independent (each lands under its own name), so the files are the same in any order. Memory:
 * at most this many decoded units (each capped by --max-decompressed-bytes).
 */
const FILES_IN_FLIGHT = 2;

/** `efsink ingest cloudwatch`: no AWS SDK, no pino unless --log-level asks for logs. */
export async function ingestCloudWatchCommand({
  settings,
  positionals,
  out,
}: CommandContext<(typeof INGEST_CLOUDWATCH_KEYS)[number]>): Promise<number> {
  const { config, sink, log } = await openSink(settings);
  const inputs = positionals.length > 0 ? positionals : ['-'];
  const outcomes = await mapBounded(inputs, FILES_IN_FLIGHT, async (file) => {
    try {
      const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch (err) {
        throw new EfsinkError('INPUT_INVALID_JSON', `not a JSON Lambda event (${(err as Error).message})`);
      }
      return { ok: await ingestCloudWatchLogsEvent(event, { config, sink, log, metrics: noMetrics }) };
    } catch (err) {
      const code = codeOf(err);
      // A bug is not a bad file: stop (exit 70) rather than report it as one unit's failure.
      if (code === 'INTERNAL') throw err;
      return { failed: { file: file === '-' ? 'stdin' : file, code, message: (err as Error).message } };
    }
  });
  let units = 0;
  let events = 0;
  let bytes = 0;
  let duplicates = 0;
  const failed: { file: string; code: string; message: string }[] = [];
  for (const o of outcomes) {
    if (o.failed !== undefined) {
      failed.push(o.failed);
      process.stderr.write(`${o.failed.file}: ${o.failed.code}: ${o.failed.message}\n`);
      continue;
    }
    const r = o.ok;
    units++;
    events += r.events;
    bytes += r.bytesWritten;
    if (r.segmentsLanded === 0 && r.segmentsAlreadyPresent > 0) duplicates++;
  }
  if (settings.json) {
    out.write(
      `${JSON.stringify({ units, events, bytesLanded: bytes, duplicates, failed: failed.map(({ file, code }) => ({ file, code })) })}\n`,
    );
  } else {
    out.write(
      `ingested ${units} unit(s): ${events} events, ${bytes} bytes landed, ${duplicates} duplicate(s), ${failed.length} failed\n`,
    );
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
