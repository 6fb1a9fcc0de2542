#!/usr/bin/env node
// Synthesizes the example CDK app offline: bundles infra/bin/main.ts with the local esbuild (so any
// Node >= 22 runs it, without type stripping), then runs it. Used two ways:
//   - by the CDK CLI (infra/cdk.json "app"), which sets CDK_OUTDIR and CDK_CONTEXT_JSON;
//   - by hand: `node infra/scripts/synth.mjs [-c key=value ...]` writes infra/cdk.out and prints a
//     summary (stacks, resources, Lambda runtimes, bundle sizes). With no -c at all it synthesizes
//     the example (placeholder ids), which needs no AWS account, credentials or network.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const infra = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const appBundle = join(infra, '.build', 'app.mjs');

await build({
  entryPoints: [join(infra, 'bin', 'main.ts')],
  outfile: appBundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  logLevel: 'warning',
});

const underCli = process.env.CDK_OUTDIR !== undefined;
const env = { ...process.env };
if (!underCli) {
  // The CDK CLI merges cdk.json's context; do the same so both ways synthesize the same templates.
  const context = { ...JSON.parse(readFileSync(join(infra, 'cdk.json'), 'utf8')).context };
  const given = new Set();
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] === '-c' || args[i] === '--context' ? args[++i] : undefined;
    const eq = arg?.indexOf('=') ?? -1;
    if (arg === undefined || eq < 1) {
      process.stderr.write(`usage: node infra/scripts/synth.mjs [-c key=value ...]; got ${args[i]}\n`);
      process.exit(2);
    }
    context[arg.slice(0, eq)] = arg.slice(eq + 1);
    given.add(arg.slice(0, eq));
  }
  if (given.size === 0 && !Object.keys(env).some((k) => k.startsWith('EFSINK_'))) {
    context.example = 'true';
  }
  env.CDK_OUTDIR = join(infra, 'cdk.out');
  // Start clean, so the summary lists only the stacks of this run.
  rmSync(env.CDK_OUTDIR, { recursive: true, force: true });
  env.CDK_CONTEXT_JSON = JSON.stringify(context);
}

const started = Date.now();
const run = spawnSync(process.execPath, [appBundle], {
  env,
  stdio: underCli ? 'inherit' : ['ignore', 'inherit', 'pipe'],
});
if (!underCli) {
  // Keep esbuild's and npm's chatter out of the summary unless something failed.
  if (run.status !== 0) process.stderr.write(run.stderr);
  else
    for (const line of run.stderr.toString().split('\n')) if (line.startsWith('efsink')) console.error(line);
}
if (run.status !== 0) process.exit(run.status ?? 1);
if (underCli) process.exit(0);

const outdir = env.CDK_OUTDIR;
console.log(`synthesized into ${outdir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(join(outdir, file), 'utf8'));
  const assetsFile = join(outdir, file.replace('.template.json', '.assets.json'));
  // S3 object key of a Lambda's code → the staged directory holding its bundle.
  const assetDirByKey = new Map();
  if (existsSync(assetsFile)) {
    for (const asset of Object.values(JSON.parse(readFileSync(assetsFile, 'utf8')).files ?? {})) {
      for (const destination of Object.values(asset.destinations ?? {})) {
        assetDirByKey.set(destination.objectKey, join(outdir, asset.source.path));
      }
    }
  }
  const resources = Object.values(template.Resources ?? {});
  console.log(`\n${file}: ${resources.length} resources`);
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties;
    const assetDir = assetDirByKey.get(p.Code?.S3Key);
    const bundle = assetDir === undefined ? undefined : join(assetDir, 'index.mjs');
    const size =
      bundle !== undefined && existsSync(bundle) ? `${(statSync(bundle).size / 1024).toFixed(1)} KiB` : 'n/a';
    const sdk =
      bundle !== undefined && existsSync(bundle) && readFileSync(bundle, 'utf8').includes('@aws-sdk')
        ? 'yes'
        : 'no';
    console.log(
      `  ${id}: ${p.Runtime} ${p.Architectures?.join(',') ?? 'x86_64'} ${p.MemorySize} MB ${p.Timeout} s` +
        ` vpc=${p.VpcConfig ? 'yes' : 'no'} efs=${p.FileSystemConfigs?.[0]?.LocalMountPath ?? 'no'}` +
        ` bundle=${size} aws-sdk=${sdk}`,
    );
  }
}
