import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, test } from 'vitest';
import { THREADPOOL_ENV, THREADPOOL_SIZE } from '../../src/config/threadpool.js';
import { CloudWatchLogsToEfs } from '../lib/cloudwatch-logs-to-efs.js';
import { FirehoseHttpEndpointToEfs } from '../lib/firehose-http-endpoint-to-efs.js';
import { FirehoseS3ToEfs } from '../lib/firehose-s3-to-efs.js';
import { createTestEnvironment, FIXTURE_ENTRIES } from './helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

describe('every efsink process runs with a thread pool of THREADPOOL_SIZE (src/config/threadpool.ts)', () => {
  test('every Lambda function of the three constructs, and the receiver container, set it', () => {
    const env = createTestEnvironment();
    new CloudWatchLogsToEfs(env.stack, 'CwPath', {
      vpc: env.vpc,
      fileSystem: env.fileSystem,
      logGroup: logs.LogGroup.fromLogGroupName(env.stack, 'AccessLogs', '/aws/vendedlogs/apigw/prod'),
      entry: FIXTURE_ENTRIES.cloudwatch,
      assembler: { entry: FIXTURE_ENTRIES.assemble },
    });
    new FirehoseS3ToEfs(env.stack, 'S3Path', {
      vpc: env.vpc,
      fileSystem: env.fileSystem,
      entry: FIXTURE_ENTRIES.s3Sqs,
      assembler: { entry: FIXTURE_ENTRIES.assemble },
    });
    new FirehoseHttpEndpointToEfs(env.stack, 'HttpPath', {
      vpc: env.vpc,
      fileSystem: env.fileSystem,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/efsink:test'),
      certificate: acm.Certificate.fromCertificateArn(
        env.stack,
        'Certificate',
        'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      ),
      domainName: 'efsink.example.com',
    });
    const template = Template.fromStack(env.stack);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables?: Record<string, string> }; Handler?: string };
    }[];
    // Custom-resource providers CDK adds (log retention, bucket notifications) are not efsink's.
    const efsink = functions.filter((f) => f.Properties.Environment?.Variables?.EFSINK_ROOT !== undefined);
    expect(efsink.length).toBe(4); // two paths × (writer + assembler); the HTTP path is a container
    for (const f of efsink)
      expect(f.Properties.Environment?.Variables?.[THREADPOOL_ENV]).toBe(String(THREADPOOL_SIZE));
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Environment: Match.arrayWith([{ Name: THREADPOOL_ENV, Value: String(THREADPOOL_SIZE) }]),
        }),
      ]),
    });
  });

  test('bin/efsink and the Dockerfile say the same size', () => {
    expect(read('bin/efsink')).toContain(`process.env.${THREADPOOL_ENV} ??= '${THREADPOOL_SIZE}';`);
    expect(read('Dockerfile')).toMatch(new RegExp(`^\\s+${THREADPOOL_ENV}=${THREADPOOL_SIZE} \\\\$`, 'm'));
  });

  test('bin/efsink sets it early enough to take effect: 6 blocked fs calls do not stall a 7th', () => {
    // A FIFO's open blocks its pool thread until a writer comes, as an NFS call blocks until the
    // server answers. The probe runs after bin/efsink's first statements (a --import module runs
    // before the entry; its timer fires after the entry's synchronous code), blocks 6 threads that
    // way and asks for a stat: with libuv's default pool of 4 the stat waits behind them.
    const dir = mkdtempSync(join(tmpdir(), 'efsink-pool-'));
    try {
      for (let i = 0; i < 6; i++) spawnSync('mkfifo', [join(dir, `f${i}`)]);
      const probe = join(dir, 'probe.mjs');
      writeFileSync(
        probe,
        `import * as fs from 'node:fs';
setTimeout(async () => {
  const fifos = [0, 1, 2, 3, 4, 5].map((i) => ${JSON.stringify(dir)} + '/f' + i);
  const opens = fifos.map((f) => fs.promises.open(f, 'r'));
  const stat = fs.promises.stat(${JSON.stringify(dir)}).then(() => 'answered');
  const verdict = await Promise.race([stat, new Promise((r) => setTimeout(() => r('stalled'), 2000))]);
  fs.writeFileSync(${JSON.stringify(join(dir, 'verdict'))}, verdict + ' ' + process.env.UV_THREADPOOL_SIZE);
  // Writers for every FIFO, held until each queued open has run too.
  const writers = fifos.map((f) => fs.openSync(f, fs.constants.O_RDWR));
  await Promise.all(opens.map(async (o) => (await o).close()));
  for (const w of writers) fs.closeSync(w);
}, 0);
`,
      );
      const run = (env: NodeJS.ProcessEnv) => {
        const r = spawnSync(
          process.execPath,
          ['--import', pathToFileURL(probe).href, join(repo, 'bin/efsink'), 'help'],
          {
            env,
            encoding: 'utf8',
            timeout: 30_000,
          },
        );
        expect(r.status, r.stderr).toBe(0);
        return readFileSync(join(dir, 'verdict'), 'utf8');
      };
      const { UV_THREADPOOL_SIZE: _, ...inherited } = process.env;
      expect(run(inherited)).toBe(`answered ${THREADPOOL_SIZE}`);
      // The probe can fail: an operator's own value wins, and 4 (libuv's default) stalls.
      expect(run({ ...inherited, [THREADPOOL_ENV]: '4' })).toBe('stalled 4');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
