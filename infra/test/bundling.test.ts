import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { expect, test } from 'vitest';
import { EfsAccess } from '../lib/efs-access.js';
import { createEfsinkFunction, handlerBundleDirectory } from '../lib/efsink-function.js';
import { createTestEnvironment, FIXTURE_ENTRIES } from './helpers.js';

test('bundles a handler with the local esbuild into one ESM file, without Docker', () => {
  // GIVEN a stack that bundles
  const env = createTestEnvironment({ bundle: true });
  const efs = new EfsAccess(env.stack, 'Access', { vpc: env.vpc, fileSystem: env.fileSystem });
  // WHEN
  const fn = createEfsinkFunction(env.stack, 'Fn', {
    efs,
    handler: 'cloudwatch-logs-handler',
    entry: FIXTURE_ENTRIES.cloudwatch,
    description: 'bundling test',
    timeout: Duration.seconds(10),
    memorySize: 128,
  });
  const template = Template.fromStack(env.stack);
  // THEN the staged asset holds index.mjs + its source map, and the function loads index.handler
  template.hasResourceProperties('AWS::Lambda::Function', {
    Handler: 'index.handler',
    Runtime: 'nodejs22.x',
  });
  const assetDir = env.stack.node.root.node
    .findAll()
    .map((c) => (c as { assetPath?: string }).assetPath)
    .find((p): p is string => typeof p === 'string');
  expect(assetDir).toBeDefined();
  const outdir = (env.stack.node.root as unknown as { outdir: string }).outdir;
  const bundle = join(outdir, assetDir as string, 'index.mjs');
  expect(existsSync(bundle)).toBe(true);
  expect(existsSync(`${bundle}.map`)).toBe(true);
  expect(readFileSync(bundle, 'utf8')).toContain('createRequire');
  expect(statSync(bundle).size).toBeLessThan(10_000);
  expect(fn.runtime.name).toBe('nodejs22.x');
});

test('deploys the prebuilt handler bundle from dist/lambda/ when no entry is given', () => {
  // GIVEN a stack (no synth-time bundling needed: the code is a prebuilt folder)
  const env = createTestEnvironment();
  const efs = new EfsAccess(env.stack, 'Access', { vpc: env.vpc, fileSystem: env.fileSystem });
  // WHEN
  createEfsinkFunction(env.stack, 'Fn', {
    efs,
    handler: 'cloudwatch-logs-handler',
    description: 'prebuilt test',
    timeout: Duration.seconds(10),
    memorySize: 128,
  });
  const template = Template.fromStack(env.stack);
  // THEN the function loads index.handler from an asset that is byte for byte the tested bundle
  template.hasResourceProperties('AWS::Lambda::Function', {
    Handler: 'index.handler',
    Runtime: 'nodejs22.x',
  });
  const assetDir = env.stack.node.root.node
    .findAll()
    .map((c) => (c as { assetPath?: string }).assetPath)
    .find((p): p is string => typeof p === 'string');
  const outdir = (env.stack.node.root as unknown as { outdir: string }).outdir;
  const staged = readFileSync(join(outdir, assetDir as string, 'index.mjs'));
  const built = readFileSync(join(handlerBundleDirectory('cloudwatch-logs-handler'), 'index.mjs'));
  expect(staged.equals(built)).toBe(true);
  expect(handlerBundleDirectory('cloudwatch-logs-handler')).toMatch(/dist\/lambda\/cloudwatch-logs-handler$/);
});
