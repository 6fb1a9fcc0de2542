import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LambdaEvent } from './corpus.js';

/**
 * The two references efsink is measured against. Node built-ins only, and deliberately not
 * importing anything from src/, so that their peak RSS is not inflated by efsink's modules.
 */

interface Envelope {
  logGroup: string;
  logStream: string;
  logEvents: { id: string; timestamp: number; message: string }[];
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * (a) naive: a faithful copy of the usual ten-line subscription handler (issue 2, "Why"):
 * base64 → gunzip → JSON.parse → per event `appendFileSync(hourlyFile, message + "\n")`, which is an
 * open + write + close per event. Like the usual handler it always adds `\n` (so lines that already
 * end with one get two) and never fsyncs. The one kindness: it creates each hourly directory once per
 * invocation instead of calling mkdirSync before every append.
 */
export function naiveHandler(event: LambdaEvent, root: string): void {
  const payload = Buffer.from(event.awslogs.data, 'base64');
  const parsed = JSON.parse(gunzipSync(payload).toString('utf8')) as Envelope;
  const made = new Set<string>();
  for (const e of parsed.logEvents) {
    const d = new Date(e.timestamp);
    const file = join(
      root,
      parsed.logGroup,
      String(d.getUTCFullYear()),
      pad2(d.getUTCMonth() + 1),
      pad2(d.getUTCDate()),
      `${pad2(d.getUTCHours())}.log`,
    );
    const dir = dirname(file);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    appendFileSync(file, `${e.message}\n`);
  }
}

/**
 * (b) decode-only floor: the least any Node handler must do: base64 → gunzip → JSON.parse, then one
 * writeFileSync per payload of the joined framed messages (efsink's framing rule), to a file named
 * after the payload's position. No routing by hour, no fsync, no rename, no durability.
 */
export function floorHandler(event: LambdaEvent, root: string, index: number): void {
  const payload = Buffer.from(event.awslogs.data, 'base64');
  const parsed = JSON.parse(gunzipSync(payload).toString('utf8')) as Envelope;
  const framed = parsed.logEvents.map((e) => (e.message.endsWith('\n') ? e.message : `${e.message}\n`));
  writeFileSync(join(root, `${index}.log`), framed.join(''));
}
