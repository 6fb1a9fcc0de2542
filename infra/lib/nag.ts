import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Records that a cdk-nag rule, or one finding of it (`Rule[finding]`), was reviewed for this construct
 * and the resources under it. cdk-nag 3 reads CDK's own acknowledgments
 * (`Validations.of(construct).acknowledge`), so the constructs need no runtime dependency on cdk-nag.
 * Every call site states why the finding is acceptable; infra/README.md ("cdk-nag") lists them.
 */
export function acknowledgeNag(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The cdk-nag finding for an AWS managed policy attached by CDK (rule AwsSolutions-IAM4). */
export function managedPolicyFinding(name: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
}

/**
 * The cdk-nag finding for a wildcard IAM resource (rule AwsSolutions-IAM5): `Resource::` followed by
 * the resolved ARN with references flattened the way cdk-nag does (`<LogicalId.Arn>`, `<AWS::Partition>`).
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`;
}

function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const ref = node as Record<string, unknown>;
    if (Array.isArray(ref['Fn::Join'])) {
      const [delimiter, items] = ref['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if (ref['Fn::Sub'] !== undefined) return flattenReference(ref['Fn::Sub']);
    if (Array.isArray(ref['Fn::GetAtt'])) {
      const [resource, attribute] = ref['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (ref['Fn::ImportValue'] !== undefined) return flattenReference(ref['Fn::ImportValue']);
    if (ref.Ref !== undefined) return `<${flattenReference(ref.Ref)}>`;
  }
  return JSON.stringify(node);
}
