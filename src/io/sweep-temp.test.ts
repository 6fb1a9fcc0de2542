import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../config/sink-config.js';
import { silentLogger } from '../observability/logger.js';
import { TEMP_MAX_AGE_MS } from './assemble.js';
import { createSink } from './sink.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-sweep-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('temp file sweep', () => {
  it("keeps a fresh temp file whose mtime is decades old (an NFS exclusive create's verifier), sweeps it once it is old", async () => {
    const config = loadSinkConfig({ root }, 'flags');
    const tmp = join(root, '.efsink/tmp');
    await mkdir(tmp, { recursive: true });
    const file = join(tmp, 'journal-000000000001.json.123.abcdef.tmp');
    await writeFile(file, '{}');
    await utimes(file, 1_000, 1_000); // what another client's half-done EXCLUSIVE4_1 create can show
    const now = Date.now();
    expect((await createSink(config, { log: silentLogger, now: () => now }).assemble()).sweptTempFiles).toBe(
      0,
    );
    expect(await readdir(tmp)).toEqual(['journal-000000000001.json.123.abcdef.tmp']);
    const later = now + TEMP_MAX_AGE_MS + 60_000; // a writer that crashed an hour ago left it
    expect(
      (await createSink(config, { log: silentLogger, now: () => later }).assemble()).sweptTempFiles,
    ).toBe(1);
    expect(await readdir(tmp)).toEqual([]);
  });
});
