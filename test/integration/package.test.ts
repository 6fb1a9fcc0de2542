import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The npm package as a user gets it: `npm pack` of this checkout (dist/ as `npm ci` built it), installed
 * into a fresh project outside the repository, with aws-cdk-lib and constructs beside it (the optional
 * peer dependencies of `efsink/cdk`). Everything then runs from that project's node_modules only, so a
 * missing file in `files`, an import of a dev dependency, or a path that reaches back into a checkout
 * fails here. The install reads npm's cache first (`--prefer-offline`): the repository's own `npm ci`
 * put every dependency there.
 */
const REPO = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
let work: string;
let project: string;

function run(command: string, args: string[], cwd: string, timeoutMs = 300_000) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
    // The same Node and npm as this test (scripts/node22 puts Node 22 first on PATH in CI).
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'efsink-package-'));
  project = join(work, 'app');
  // --ignore-scripts: dist/ is already built (npm ci ran `prepare`); pack it as it is.
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = join(work, (JSON.parse(pack.stdout) as { filename: string }[])[0]?.filename ?? '');
  expect(existsSync(tarball)).toBe(true);
  await rm(project, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(project, { recursive: true }));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'efsink-package-test', version: '1.0.0', private: true, type: 'module' }),
  );
  const install = run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      tarball,
      `aws-cdk-lib@${manifest.devDependencies['aws-cdk-lib']}`,
      `constructs@${manifest.devDependencies.constructs}`,
    ],
    project,
    600_000,
  );
  expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
}, 900_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('the packed efsink, installed into a fresh project', () => {
  it('ships what runs and nothing of the checkout (no sources, tests or dev-only files)', () => {
    const installed = join(project, 'node_modules', 'efsink');
    expect(existsSync(join(installed, 'dist', 'src', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'src', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'infra', 'lib', 'index.js'))).toBe(true);
    for (const handler of ['cloudwatch-logs-handler', 's3-sqs-handler', 'assemble-handler']) {
      expect(existsSync(join(installed, 'dist', 'lambda', handler, 'index.mjs')), handler).toBe(true);
    }
    const top = readdirSync(installed);
    expect(top).toEqual(expect.arrayContaining(['bin', 'dist', 'package.json', 'README.md']));
    for (const checkoutOnly of ['src', 'test', 'infra', 'bench', 'scripts', 'docs', 'node_modules']) {
      expect(top, checkoutOnly).not.toContain(checkoutOnly);
    }
    // The CLI runs from its bundle (bin/efsink), the library from dist/src.
    expect(existsSync(join(installed, 'dist', 'cli', 'main.mjs'))).toBe(true);
    expect(readdirSync(join(installed, 'dist')).sort()).toEqual(['cli', 'infra', 'lambda', 'src']);
    expect(existsSync(join(project, 'node_modules', 's3rver'))).toBe(false);
  });

  it('npx efsink --version prints the package version', () => {
    const r = run('npx', ['--no-install', 'efsink', '--version'], project);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(manifest.version);
  });

  it('npx efsink demo runs all three paths byte-exact from node_modules', () => {
    const r = run('npx', ['--no-install', 'efsink', 'demo', '--requests', '60'], project);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^cloudwatch: byte-exact: yes/m);
    expect(r.stdout).toMatch(/^firehose-http: byte-exact: yes/m);
    expect(r.stdout).toMatch(/^firehose-s3: byte-exact: yes/m);
    expect(r.stdout).toMatch(/^byte-exact: yes$/m);
  });

  it('imports the library API from "efsink"', () => {
    const script = `
      import { createSink, loadSinkConfig, renderAccessLog, EfsinkError } from 'efsink';
      console.log([typeof createSink, typeof loadSinkConfig, typeof renderAccessLog, typeof EfsinkError].join(','));`;
    const r = run(process.execPath, ['--input-type=module', '-e', script], project);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function,function,function,function');
  });

  it('synthesizes a CDK app with the three path constructs from "efsink/cdk", deploying the shipped bundles', async () => {
    await writeFile(
      join(project, 'app.mjs'),
      `
import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CloudWatchLogsToEfs, FirehoseHttpEndpointToEfs, FirehoseS3ToEfs } from 'efsink/cdk';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Logs', { env: { account: '123456789012', region: 'eu-west-1' } });
const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.20.0.0/16',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
  publicSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
});
const fileSystem = efs.FileSystem.fromFileSystemAttributes(stack, 'Efs', {
  fileSystemId: 'fs-0123456789abcdef0',
  securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'EfsSg', 'sg-0ccccccccccccccc1'),
});
new CloudWatchLogsToEfs(stack, 'Cw', {
  vpc, fileSystem,
  logGroup: logs.LogGroup.fromLogGroupName(stack, 'AccessLogs', '/aws/vendedlogs/apigw/prod'),
});
new FirehoseS3ToEfs(stack, 'Fs3', { vpc, fileSystem, deliveryStreamName: 'amazon-apigateway-efsink-s3' });
new FirehoseHttpEndpointToEfs(stack, 'Http', {
  vpc, fileSystem,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/efsink:1'),
  certificate: acm.Certificate.fromCertificateArn(stack, 'Cert',
    'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555'),
  domainName: 'efsink.example.com',
  deliveryStreamName: 'amazon-apigateway-efsink-http',
});
const assembly = app.synth();
const template = assembly.getStackByName('Logs').template;
const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
console.log(JSON.stringify({
  functions: functions.map((f) => [f.Properties.Runtime, f.Properties.Handler]),
  services: Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::Service').length,
  outdir: assembly.directory,
}));
`,
    );
    const r = run(process.execPath, ['app.mjs'], project);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
      functions: [string, string][];
      services: number;
      outdir: string;
    };
    // CloudWatch path + its assembler, S3 path + its assembler (the HTTP path runs the container).
    const ours = out.functions.filter(([, handler]) => handler === 'index.handler');
    expect(ours).toHaveLength(4);
    for (const [runtime] of ours) expect(runtime).toBe('nodejs22.x');
    expect(out.services).toBe(1);
    // Each efsink function's code is a staged copy of a bundle shipped in node_modules/efsink/dist/lambda.
    const shipped = ['cloudwatch-logs-handler', 's3-sqs-handler', 'assemble-handler'].map((h) =>
      readFileSync(join(project, 'node_modules', 'efsink', 'dist', 'lambda', h, 'index.mjs')),
    );
    const outdir = resolve(project, out.outdir);
    const staged = readdirSync(outdir)
      .filter((a) => a.startsWith('asset.'))
      .map((a) => join(outdir, a, 'index.mjs'))
      .filter((p) => existsSync(p))
      .map((p) => readFileSync(p));
    for (const bundle of shipped) expect(staged.some((s) => s.equals(bundle))).toBe(true);
  });
});
