// Host side of the `history` scenario (issue 10, item 2): an efsink root whose one hourly file
// already holds N segments, built fast on the host before the lab serves it (no client has looked
// at it yet, so no client cache is stale): units planned by efsink's own code (dist/), segments
// written without fsync, then assembled in process in passes of 500 units, as a busy hour would.
// Returns the units in the manifest shape of corpus.mjs, so the host checks cover them too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSinkConfig } from '../../dist/src/config/sink-config.js';
import { planCloudWatchUnit } from '../../dist/src/core/write/plan-segments.js';
import { encodeSegmentHeader } from '../../dist/src/core/write/segment-file.js';
import { createSink } from '../../dist/src/io/sink.js';
import { silentLogger } from '../../dist/src/observability/logger.js';
import { eventId, LOG_GROUP, outputPath } from './corpus.mjs';

const STREAM_INDEX = 9; // apart from corpus.mjs's streams 1-4, so event ids never collide

export async function buildHistory({ root, units, eventsPerUnit = 20, startMs, endMs, perPass = 500 }) {
  const config = loadSinkConfig({ root }, 'flags');
  const sink = createSink(config, { log: silentLogger });
  const spacingMs = Math.max(1, Math.floor((endMs - startMs) / (units * eventsPerUnit)));
  const manifest = [];
  let seq = 0;
  for (let done = 0; done < units; ) {
    const n = Math.min(perPass, units - done);
    for (let u = done; u < done + n; u++) {
      const logEvents = [];
      for (let e = 0; e < eventsPerUnit; e++, seq++) {
        const ts = startMs + seq * spacingMs;
        const line = `{"requestId":"hist-${String(seq).padStart(8, '0')}","requestTime":"${new Date(ts).toISOString()}","status":"200","routeKey":"GET /history"}`;
        logEvents.push({ id: eventId(ts, STREAM_INDEX, seq), timestamp: ts, message: Buffer.from(line) });
      }
      const plan = planCloudWatchUnit(
        {
          messageType: 'DATA_MESSAGE',
          owner: '123456789012',
          logGroup: LOG_GROUP,
          logStream: 'history',
          subscriptionFilters: ['f'],
          logEvents,
        },
        config.template,
      );
      for (const seg of plan.segments) {
        const dir = join(sink.layout.segments, seg.relPath);
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          join(dir, seg.name),
          Buffer.concat([encodeSegmentHeader(seg.bytes.length, seg.meta), seg.bytes]),
        );
      }
      const lines = logEvents.map((ev) => ev.message.toString('utf8'));
      const path = outputPath(LOG_GROUP, logEvents[0].timestamp);
      if (path !== outputPath(LOG_GROUP, logEvents.at(-1).timestamp))
        throw new Error('history unit crosses an hour');
      manifest.push({
        file: '',
        stream: 'hist',
        first: logEvents[0].timestamp,
        count: lines.length,
        lines,
        outputs: { [path]: lines },
      });
    }
    const report = await sink.assemble();
    if (report.failed.length > 0) throw new Error(`history of ${root}: ${JSON.stringify(report.failed)}`);
    done += n;
  }
  return manifest;
}
