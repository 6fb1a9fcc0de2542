import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, test } from 'vitest';
import { CloudWatchLogsToEfs, type CloudWatchLogsToEfsProps } from '../lib/cloudwatch-logs-to-efs.js';
import { EFSINK_NODE_MAJOR, EFSINK_RUNTIME } from '../lib/efsink-function.js';
import type { ConstructConfigError } from '../lib/errors.js';
import { createTestEnvironment, FIXTURE_ENTRIES } from './helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

describe('one Node.js major version for tests, CI, Lambda and container', () => {
  test('.nvmrc, scripts/node22, the Dockerfile, engines and the Lambda default all say 22', () => {
    expect(EFSINK_NODE_MAJOR).toBe(22);
    expect(EFSINK_RUNTIME.name).toBe(`nodejs${EFSINK_NODE_MAJOR}.x`);
    expect(read('.nvmrc').trim()).toBe(String(EFSINK_NODE_MAJOR));
    expect(read('scripts/node22')).toMatch(
      new RegExp(`^NODE22_VERSION=${EFSINK_NODE_MAJOR}\\.\\d+\\.\\d+$`, 'm'),
    );
    expect(read('Dockerfile')).toMatch(new RegExp(`^ARG NODE_MAJOR=${EFSINK_NODE_MAJOR}$`, 'm'));
    expect(read('Dockerfile')).not.toMatch(/FROM node:\d/);
    const manifest = JSON.parse(read('package.json')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(manifest.engines.node).toBe(`>=${EFSINK_NODE_MAJOR}`);
    expect(manifest.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${EFSINK_NODE_MAJOR}\\.`));
    expect(manifest.devDependencies[`@tsconfig/node${EFSINK_NODE_MAJOR}`]).toBeDefined();
    expect(read('.ci/run')).toContain('scripts/node22 --bin-dir');
  });
});

function build(overrides: Partial<CloudWatchLogsToEfsProps>): Template {
  const env = createTestEnvironment();
  new CloudWatchLogsToEfs(env.stack, 'CwPath', {
    vpc: env.vpc,
    fileSystem: env.fileSystem,
    logGroup: logs.LogGroup.fromLogGroupName(env.stack, 'AccessLogs', '/aws/vendedlogs/apigw/prod'),
    entry: FIXTURE_ENTRIES.cloudwatch,
    assembler: { entry: FIXTURE_ENTRIES.assemble },
    ...overrides,
  });
  return Template.fromStack(env.stack);
}

describe('the nodeVersion construct prop', () => {
  test('runs every function (path and assembler) on nodejs24.x when asked', () => {
    const template = build({ nodeVersion: 24 });
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x' });
  });

  test('defaults to nodejs22.x', () => {
    build({}).allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
  });

  test('rejects any other version with INVALID_NODE_VERSION', () => {
    expect(() => build({ nodeVersion: 20 as 22 })).toThrow(
      expect.objectContaining({ code: 'INVALID_NODE_VERSION' }) as ConstructConfigError,
    );
  });
});
