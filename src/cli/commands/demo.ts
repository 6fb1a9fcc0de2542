import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { loadSinkConfig } from '../../config/sink-config.js';
import { encodeSubscriptionEvent, syntheticEventId } from '../../core/encode/cloudwatch-logs.js';
import { frameEntries } from '../../core/write/frame.js';
import { STATE_DIR_NAME } from '../../io/layout.js';
import { createSink } from '../../io/sink.js';
import { ingestCloudWatchLogsEvent } from '../../lambda/cloudwatch-logs.js';
import { silentLogger } from '../../observability/logger.js';
import { noMetrics } from '../../observability/metrics.js';
import { intFlag, parseCommandArgs } from '../args.js';

export const DEMO_HELP = `efsink demo [--root DIR] [--seed N]
  Runs the CloudWatch Logs path on a local folder standing in for EFS: generated subscription
  events (some redelivered, all shuffled) go through the real Lambda handler code, then assembly,
  then a byte-exact check of the files against what was sent.`;

const LOG_GROUP = '/aws/apigateway/efsink-demo';

export async function demoCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, { root: { type: 'string' }, seed: { type: 'string' } }, 'demo');
  const root = values.root ? resolve(values.root) : await mkdtemp(join(tmpdir(), 'efsink-demo-'));
  const rand = mulberry32(intFlag(values.seed, 'seed') ?? 7);
  const config = loadSinkConfig({ root, segmentRetentionSeconds: 0 }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  const started = performance.now();

  // Three streams, payloads of 50–200 events, starting 10 minutes before an hour boundary.
  const start = Date.UTC(2026, 10, 22, 8, 50, 0);
  const sent: { stream: string; lines: Buffer[] }[] = [];
  const deliveries: object[] = [];
  for (let s = 0; s < 3; s++) {
    const logStream = `demo-stream-${s}`;
    const lines: Buffer[] = [];
    let t = start;
    let seq = 0;
    for (let p = 0; p < 30; p++) {
      const count = 50 + Math.floor(rand() * 150);
      const logEvents = [];
      for (let i = 0; i < count; i++) {
        t += Math.floor(rand() * 400);
        const message = accessLogLine(rand, t, `${s}-${seq}`);
        logEvents.push({ id: syntheticEventId(t, seq++), timestamp: t, message });
        lines.push(Buffer.from(message));
      }
      const event = encodeSubscriptionEvent({ logGroup: LOG_GROUP, logStream, logEvents });
      deliveries.push(event);
      if (rand() < 0.2) deliveries.push(event); // at-least-once: some units arrive twice
    }
    sent.push({ stream: logStream, lines });
  }
  shuffle(deliveries, rand);

  let duplicates = 0;
  for (const event of deliveries) {
    const r = await ingestCloudWatchLogsEvent(event, { config, sink, log: silentLogger, metrics: noMetrics });
    if (r.segmentsLanded === 0) duplicates++;
  }
  const first = await sink.assemble();
  const second = await sink.assemble();
  const seconds = (performance.now() - started) / 1000;

  const files = await listOutputFiles(root);
  const written = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
  const expected = frameEntries(sent.flatMap((s) => s.lines));
  const exact =
    sameLineMultiset(written, expected) &&
    streamOrderKept(files.length ? await Promise.all(files.map((f) => readFile(f))) : [], sent);
  const appended = first.files.reduce((n, f) => n + f.appendedSegments, 0);
  const again = second.files.reduce((n, f) => n + f.appendedSegments, 0);

  out.write(`efsink demo — CloudWatch Logs subscription path, root ${root}\n`);
  out.write(`  deliveries: ${deliveries.length} (${duplicates} redelivered duplicates, shuffled)\n`);
  out.write(
    `  lines: ${expected.toString('utf8').split('\n').length - 1} sent, bytes: ${expected.length} sent / ${written.length} on disk\n`,
  );
  out.write(`  assembly: ${appended} segments appended; second pass appended ${again}\n`);
  out.write(`  files:\n${files.map((f) => `    ${relative(root, f)}`).join('\n')}\n`);
  out.write(
    `  time: ${seconds.toFixed(2)} s (${(expected.length / 1e6 / seconds).toFixed(1)} MB/s end to end)\n`,
  );
  out.write(`byte-exact: ${exact && again === 0 ? 'yes' : 'no'}\n`);
  return exact && again === 0 ? 0 : 1;
}

function accessLogLine(rand: () => number, t: number, id: string): string {
  const ip = `198.51.100.${Math.floor(rand() * 255)}`;
  const paths = ['/pets', '/pets/{id}', '/orders', '/café/menü', '/日本/items'];
  const path = paths[Math.floor(rand() * paths.length)];
  const status = rand() < 0.9 ? 200 : 503;
  const d = new Date(t);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  const time = `${p2(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
  return `${ip} - - [${time}] "GET ${path} HTTP/1.1" ${status} ${Math.floor(rand() * 5000)} demo-${id}`;
}

async function listOutputFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string) {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === STATE_DIR_NAME) continue;
      if (e.isDirectory()) await walk(join(dir, e.name));
      else found.push(join(dir, e.name));
    }
  }
  await walk(root);
  return found.sort();
}

function sameLineMultiset(a: Buffer, b: Buffer): boolean {
  const split = (x: Buffer) => x.toString('latin1').split('\n').sort();
  const [la, lb] = [split(a), split(b)];
  return la.length === lb.length && la.every((l, i) => l === lb[i]);
}

/** Within each stream, lines must appear in the order they were sent (file by file, hour by hour). */
function streamOrderKept(fileContents: Buffer[], sent: { stream: string; lines: Buffer[] }[]): boolean {
  const all = fileContents
    .map((c) => c.toString('utf8'))
    .join('')
    .split('\n');
  return sent.every(({ lines }) => {
    const want = lines.map((l) => l.toString('utf8'));
    const set = new Set(want);
    const got = all.filter((l) => set.has(l));
    return got.length === want.length && got.every((l, i) => l === want[i]);
  });
}

function shuffle<T>(items: T[], rand: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
