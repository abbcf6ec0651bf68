import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Lambda's limit on all environment variables together (names and values), in bytes. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;
// What a reference (an ARN, a table or bucket name) takes once deployed, at most in practice.
const DEPLOYED_REFERENCE_CHARS = 140;

/**
 * The deployed size of an environment, estimated at synthesis: resolved text counts as is, and each reference that
 * CloudFormation fills in at deploy time counts as a long ARN. So a configuration that cannot fit fails at synth,
 * not halfway through a deployment.
 */
export function estimatedEnvironmentBytes(scope: IConstruct, environment: { [key: string]: string }): number {
  const stack = Stack.of(scope);
  let bytes = 0;
  for (const [name, value] of Object.entries(environment)) {
    bytes += Buffer.byteLength(name) + deployedLength(stack.resolve(value));
  }
  return bytes;
}

function deployedLength(resolved: unknown): number {
  if (typeof resolved === 'string') return Buffer.byteLength(resolved);
  if (Array.isArray(resolved)) return resolved.reduce((sum: number, part) => sum + deployedLength(part), 0);
  const value = resolved as Record<string, any> | null;
  if (value && value['Fn::Join']) return (value['Fn::Join'][1] as unknown[]).reduce((sum: number, part) => sum + deployedLength(part), 0);
  if (value && value.Ref === 'AWS::Partition') return 10;
  if (value && value.Ref === 'AWS::Region') return 14;
  if (value && value.Ref === 'AWS::AccountId') return 12;
  return DEPLOYED_REFERENCE_CHARS;
}
