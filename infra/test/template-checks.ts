import type { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every IAM policy statement in the template. */
export function policyStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** No statement grants an `elasticfilesystem:` action on `*`; each is scoped to an access point. */
export function expectNoWildcardEfsResources(template: Template): void {
  const efsStatements = policyStatements(template).filter((statement) =>
    asArray(statement.Action).some((action) => action.startsWith('elasticfilesystem:')),
  );
  expect(efsStatements.length).toBeGreaterThan(0);
  for (const statement of efsStatements) {
    expect(asArray(statement.Resource)).not.toContain('*');
    expect(JSON.stringify(statement.Resource)).toContain(':file-system/');
    expect(statement.Condition?.StringEquals?.['elasticfilesystem:AccessPointArn']).toBeDefined();
    expect(asArray(statement.Action).sort()).toEqual([
      'elasticfilesystem:ClientMount',
      'elasticfilesystem:ClientWrite',
    ]);
  }
}

/** No statement uses a wildcard action (`*` or `service:*`). */
export function expectNoWildcardActions(template: Template): void {
  for (const statement of policyStatements(template)) {
    for (const action of asArray(statement.Action)) expect(action).not.toMatch(/(^\*$|:\*$)/);
  }
}

/** Every function mounts an access point at /mnt/... and runs in the VPC. */
export function expectEfsMountedFunctions(template: Template, count: number): void {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
    (fn) =>
      (
        fn as {
          Properties: {
            FileSystemConfigs?: { Arn: unknown; LocalMountPath: string }[];
            VpcConfig?: unknown;
            Timeout?: number;
            MemorySize?: number;
          };
        }
      ).Properties,
  );
  expect(functions).toHaveLength(count);
  for (const fn of functions) {
    expect(fn.VpcConfig).toBeDefined();
    expect(fn.Timeout).toBeGreaterThan(0);
    expect(fn.MemorySize).toBeGreaterThanOrEqual(128);
    expect(fn.FileSystemConfigs).toHaveLength(1);
    const [mount] = fn.FileSystemConfigs ?? [];
    expect(mount?.LocalMountPath).toMatch(/^\/mnt\/[a-zA-Z0-9-_.]+$/);
    expect(JSON.stringify(mount?.Arn)).toContain(':access-point/');
  }
}
