// Corpus for the NFS suite: CloudWatch Logs subscription events as the Lambda handler receives
// them, one file per delivery unit: {"awslogs":{"data":"<base64(gzip(JSON envelope))>"}}.
// Self-contained (node: built-ins only) so the host runner and the guests can both import it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const LOG_GROUP = '/aws/apigateway/demo';
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const ROUTES = ['/pets', '/pets/{id}', '/orders', '/orders/{id}/items', '/health'];
const AGENTS = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64)', 'okhttp/4.12', 'bøt-ünïcode/1.0 ✓'];

/** Small deterministic PRNG (mulberry32), so a seed reproduces a corpus exactly. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 56-digit numeric event id, increasing with (timestamp, stream, seq) like CloudWatch's. */
export function eventId(ts, streamIndex, seq) {
  return `3${String(ts).padStart(13, '0')}${String(streamIndex).padStart(2, '0')}${String(seq).padStart(40, '0')}`;
}

/** Output file (relative to the efsink root) for an event: <logGroup without leading />/YYYY/MM/DD/HH.log */
export function outputPath(logGroup, ts) {
  const d = new Date(ts);
  const p = (n) => String(n).padStart(2, '0');
  return `${logGroup.replace(/^\/+/, '')}/${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}.log`;
}

/** One API Gateway access log line (JSON format); `stream` and `seq` make every line unique. */
function accessLine(rand, stream, seq, ts) {
  const n = (k) => Math.floor(rand() * k);
  const status = [200, 200, 200, 201, 204, 400, 404, 500][n(8)];
  const pad = 'x'.repeat(n(60)); // varying length: an overlap of two lines shows up as a torn line
  return JSON.stringify({
    requestId: `${stream}-${String(seq).padStart(6, '0')}`,
    ip: `10.${n(256)}.${n(256)}.${n(256)}`,
    requestTime: new Date(ts).toISOString(),
    httpMethod: METHODS[n(METHODS.length)],
    routeKey: ROUTES[n(ROUTES.length)],
    status: String(status),
    protocol: 'HTTP/1.1',
    responseLength: String(n(5000)),
    userAgent: AGENTS[n(AGENTS.length)],
    stream,
    seq,
    pad,
  });
}

/** Decode a unit file's JSON text back to its envelope (what the guests' naive appender does). */
export function decodeUnit(text, gunzip) {
  const data = JSON.parse(text).awslogs.data;
  return JSON.parse(gunzip(Buffer.from(data, 'base64')).toString('utf8'));
}

/**
 * Write a corpus into `dir` and return its manifest.
 *   streams x unitsPerStream units of eventsPerUnit events; events of a stream are spaced spacingMs
 *   apart from startMs, so units cross hour boundaries and touch 1 or 2 output files.
 * Manifest: units [{ file, stream, first, count, lines, outputs: {path: lines[]} }] sorted by first
 * timestamp, expected {path: lines[]} (all lines of a file, any order), segments (units x files).
 */
export function generateCorpus({
  dir,
  streams = 4,
  unitsPerStream = 10,
  eventsPerUnit = 25,
  startMs = Date.UTC(2025, 7, 6, 13, 40, 0),
  spacingMs = 20_000,
  seed = 1,
}) {
  mkdirSync(dir, { recursive: true });
  const rand = prng(seed);
  const units = [];
  for (let s = 0; s < streams; s++) {
    const stream = `2025/08/06/[$LATEST]stream${s + 1}`;
    const short = `s${s + 1}`;
    let seq = 0;
    for (let u = 0; u < unitsPerStream; u++) {
      const logEvents = [];
      for (let e = 0; e < eventsPerUnit; e++, seq++) {
        // streams are offset by a few ms so that timestamps differ across streams
        const ts = startMs + seq * spacingMs + s * 7;
        logEvents.push({
          id: eventId(ts, s + 1, seq),
          timestamp: ts,
          message: accessLine(rand, short, seq, ts),
        });
      }
      const envelope = {
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: LOG_GROUP,
        logStream: stream,
        subscriptionFilters: ['f'],
        logEvents,
      };
      const data = gzipSync(Buffer.from(JSON.stringify(envelope), 'utf8')).toString('base64');
      const file = join(dir, `${short}-u${String(u).padStart(3, '0')}.json`);
      writeFileSync(file, JSON.stringify({ awslogs: { data } }));
      const outputs = {};
      for (const ev of logEvents) {
        const p = outputPath(LOG_GROUP, ev.timestamp);
        if (!outputs[p]) outputs[p] = [];
        outputs[p].push(ev.message);
      }
      units.push({
        file,
        stream: short,
        first: logEvents[0].timestamp,
        count: logEvents.length,
        lines: logEvents.map((ev) => ev.message),
        outputs,
      });
    }
  }
  units.sort((a, b) => a.first - b.first || a.file.localeCompare(b.file));
  const expected = {};
  let segments = 0;
  for (const u of units) {
    for (const [p, lines] of Object.entries(u.outputs)) {
      segments++;
      if (!expected[p]) expected[p] = [];
      expected[p].push(...lines);
    }
  }
  return { dir, units, expected, segments, events: units.reduce((n, u) => n + u.count, 0) };
}
