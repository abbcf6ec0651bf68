import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledge cdk-nag's AwsSolutions-IAM5 finding for one wildcard resource ARN, and only that one.
 *
 * cdk-nag names each wildcard finding after the resource as it appears in the template, with intrinsics
 * flattened (`<Logical.Arn>`, `<AWS::Partition>`); computing the same name here keeps the acknowledgement as
 * narrow as the finding, so a wildcard added later is still reported.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const flattened = flattenCfnReference(Stack.of(scope).resolve(resourceArn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattened}]`, reason });
}

/** Acknowledge cdk-nag's AwsSolutions-IAM5 finding for one wildcard action, e.g. `s3:GetObject*`. */
export function acknowledgeWildcardAction(scope: IConstruct, action: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
}

// The rendering cdk-nag uses for finding names (Fn::Join concatenated, Ref as <Name>, GetAtt as <Name.Attr>).
function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const value = node as Record<string, any>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'];
    return (items as unknown[]).map(flattenCfnReference).join(delimiter);
  }
  if (value['Fn::Sub']) return flattenCfnReference(value['Fn::Sub']);
  if (value['Fn::GetAtt']) {
    const [resource, attribute] = value['Fn::GetAtt'];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (value['Fn::ImportValue']) return flattenCfnReference(value['Fn::ImportValue']);
  if (value.Ref) return `<${flattenCfnReference(value.Ref)}>`;
  return JSON.stringify(node);
}
