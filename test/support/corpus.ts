import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSubscriptionEvent, syntheticEventId } from '../../src/core/encode/cloudwatch-logs.js';
import { frameEntries } from '../../src/core/write/frame.js';
import { STATE_DIR_NAME } from '../../src/io/layout.js';

/** A CloudWatch Logs subscription Lambda event together with the messages it carries. */
export interface Delivery {
  readonly event: { awslogs: { data: string } };
  readonly logStream: string;
  readonly messages: readonly Buffer[];
}

export interface CorpusOptions {
  readonly streams: number;
  readonly payloadsPerStream: number;
  readonly eventsPerPayload: number;
  readonly startMs: number;
  /** Gap between consecutive events; with a start near an hour boundary units span two hours. */
  readonly stepMs: number;
  readonly logGroup?: string;
  /** Message for event `i` of stream `s`; defaults to a line naming both. */
  readonly message?: (stream: number, index: number) => string | Buffer;
}

/** Deterministic deliveries, in order within each stream. */
export function buildCorpus(o: CorpusOptions): Delivery[] {
  const out: Delivery[] = [];
  for (let s = 0; s < o.streams; s++) {
    const logStream = `stream-${s}`;
    let i = 0;
    for (let p = 0; p < o.payloadsPerStream; p++) {
      const logEvents = [];
      const messages: Buffer[] = [];
      for (let k = 0; k < o.eventsPerPayload; k++, i++) {
        const timestamp = o.startMs + i * o.stepMs;
        const m =
          o.message?.(s, i) ??
          `10.0.${s}.${i % 250} - - "GET /s${s}/e${i} HTTP/1.1" 200 ${i * 7} req-${s}-${i}`;
        const bytes = typeof m === 'string' ? Buffer.from(m) : m;
        messages.push(bytes);
        logEvents.push({ id: syntheticEventId(timestamp, i), timestamp, message: bytes });
      }
      out.push({
        event: encodeSubscriptionEvent({
          logGroup: o.logGroup ?? '/aws/apigateway/test',
          logStream,
          logEvents,
        }),
        logStream,
        messages,
      });
    }
  }
  return out;
}

/** Every visible file under root (the assembled logs), relative path → bytes. */
export async function readOutputs(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  async function walk(dir: string, rel: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (rel === '' && e.name === STATE_DIR_NAME) continue;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(join(dir, e.name), r);
      else out.set(r, await readFile(join(dir, e.name)));
    }
  }
  await walk(root, '');
  return out;
}

/** The lines of all output files (framing removed), sorted: the multiset to compare. */
export function lineMultiset(files: Map<string, Buffer>): string[] {
  const lines: string[] = [];
  for (const bytes of files.values()) {
    const text = bytes.toString('latin1');
    expectFramed(text);
    for (const l of text.slice(0, -1).split('\n')) lines.push(l);
  }
  return lines.sort();
}

export function expectedMultiset(deliveries: readonly Delivery[]): string[] {
  const framed = frameEntries(deliveries.flatMap((d) => d.messages)).toString('latin1');
  return framed.length === 0 ? [] : framed.slice(0, -1).split('\n').sort();
}

function expectFramed(text: string): void {
  if (text.length > 0 && !text.endsWith('\n'))
    throw new Error('output file does not end with a newline (torn tail)');
}

/**
 * True when, in every stream, its messages appear in the files in delivery order (messages must be
 * unique, and their last lines too).
 */
export function streamOrderKept(files: Map<string, Buffer>, deliveries: readonly Delivery[]): boolean {
  const all = [...files.keys()]
    .sort()
    .flatMap((k) => (files.get(k) as Buffer).toString('latin1').split('\n'));
  const byStream = new Map<string, string[]>();
  for (const d of deliveries) {
    const list = byStream.get(d.logStream) ?? [];
    for (const m of d.messages) {
      // A message with an inner \n is several lines in the file; its last line identifies it.
      const key = m.toString('latin1').replace(/\n$/, '').split('\n').pop() as string;
      if (!list.includes(key)) list.push(key);
    }
    byStream.set(d.logStream, list);
  }
  for (const want of byStream.values()) {
    const set = new Set(want);
    const got = all.filter((l) => set.has(l));
    if (got.length !== want.length || got.some((l, i) => l !== want[i])) return false;
  }
  return true;
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const a = [...items];
  let x = seed >>> 0 || 1;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}
