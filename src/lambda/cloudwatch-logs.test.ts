import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../config/sink-config.js';
import { encodeSubscriptionEvent } from '../core/encode/cloudwatch-logs.js';
import { createSink } from '../io/sink.js';
import { silentLogger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ingestCloudWatchLogsEvent } from './cloudwatch-logs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'efsink-cwl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ingestCloudWatchLogsEvent failure metrics', () => {
  it('counts a file-system failure under its FS_<errno> code, as every other adapter names it (was INTERNAL)', async () => {
    // A real file-system error: the root is a regular file, so creating efsink's folders fails.
    const root = join(dir, 'not-a-folder');
    await writeFile(root, 'x');
    const config = loadSinkConfig({ root }, 'flags');
    const counted: { name: string; dimensions?: Readonly<Record<string, string>> }[] = [];
    const metrics: Metrics = {
      count: (name, _v, dimensions) => {
        counted.push({ name, ...(dimensions ? { dimensions } : {}) });
      },
      seconds: () => {},
    };
    const event = encodeSubscriptionEvent({
      owner: '123456789012',
      logGroup: '/aws/apigateway/x',
      logStream: 's',
      logEvents: [{ id: '1', timestamp: Date.UTC(2025, 7, 6, 14), message: 'line' }],
    });
    await expect(
      ingestCloudWatchLogsEvent(event, {
        config,
        sink: createSink(config, { log: silentLogger }),
        log: silentLogger,
        metrics,
      }),
    ).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(counted).toEqual([{ name: 'Failures', dimensions: { errorCode: 'FS_ENOTDIR' } }]);
  });
});
