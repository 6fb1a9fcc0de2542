import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqsClient } from '../replay/lambda-failures-queue.js';
import { createS3Client } from './s3-source.js';

const SAVED = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_CONFIG_FILE', 'AWS_PROFILE'] as const;
let dir: string;
let saved: Record<string, string | undefined>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'efsink-region-'));
  saved = Object.fromEntries(SAVED.map((k) => [k, process.env[k]]));
  for (const k of SAVED) delete process.env[k];
});
afterEach(async () => {
  for (const k of SAVED) {
    const v = saved[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('createS3Client: the AWS SDK region chain, no default of ours', () => {
  it('takes the Region of ~/.aws/config (AWS_CONFIG_FILE) when neither --region nor AWS_REGION is set (was us-east-1)', async () => {
    const config = join(dir, 'config');
    await writeFile(config, '[default]\nregion = eu-north-1\n');
    process.env.AWS_CONFIG_FILE = config;
    const client = createS3Client({});
    try {
      expect(await client.config.region()).toBe('eu-north-1');
    } finally {
      client.destroy();
    }
  });

  it('gives replay --queue the same chain: the SQS client reads ~/.aws/config too', async () => {
    const config = join(dir, 'config');
    await writeFile(config, '[default]\nregion = eu-north-1\n');
    process.env.AWS_CONFIG_FILE = config;
    const client = createSqsClient({});
    try {
      expect(await client.config.region()).toBe('eu-north-1');
    } finally {
      client.destroy();
    }
  });

  it('lets --region win over the chain', async () => {
    process.env.AWS_REGION = 'ap-south-1';
    const client = createS3Client({ region: 'eu-west-3' });
    try {
      expect(await client.config.region()).toBe('eu-west-3');
    } finally {
      client.destroy();
    }
  });
});
