import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GenAiTags } from '../../lib';

/** The tags every test app carries, so that the GenAI tag policy passes unless a test removes one. */
export const TEST_TAGS = {
  environment: 'development',
  application: 'test-app',
  team: 'platform',
  costCenter: 'r-and-d',
};

/**
 * An app with the GenAI tags set and cdk-nag's AwsSolutions checks registered: synthesizing it (which
 * `Template.fromStack` does) fails on any unacknowledged finding, so every construct test is also a nag test.
 */
export function createTestApp(options: { tags?: boolean } = {}): App {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'genai-finops-test-')) });
  if (options.tags ?? true) GenAiTags.apply(app, TEST_TAGS);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** A stack in a test app. */
export function createTestStack(options: { tags?: boolean } = {}): Stack {
  return new Stack(createTestApp(options), 'TestStack');
}

/** Every IAM policy statement of a template, with actions and resources as arrays. */
export function policyStatements(template: Template): Array<{ Action: string[]; Resource: unknown[]; Condition?: unknown; Effect: string }> {
  const statements: any[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    for (const s of (policy as any).Properties.PolicyDocument.Statement) {
      statements.push({ ...s, Action: [].concat(s.Action), Resource: [].concat(s.Resource) });
    }
  }
  return statements;
}

/**
 * Asserts the Bedrock permissions are least privilege: no bedrock:*, no Bedrock action on Resource '*', only the
 * invoke actions, and CountTokens (the prompt limit's free count) alone, on named foundation models only.
 */
export function expectLeastPrivilegeBedrock(template: Template): void {
  const bedrock = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('bedrock:')));
  expect(bedrock.length).toBeGreaterThan(0);
  for (const statement of bedrock) {
    expect(statement.Action).not.toContain('bedrock:*');
    expect(statement.Resource).not.toContain('*');
    if (statement.Action.includes('bedrock:CountTokens')) {
      expect(statement.Action).toEqual(['bedrock:CountTokens']);
      for (const resource of statement.Resource) expect(JSON.stringify(resource)).toMatch(/::foundation-model\/[a-z0-9-]+\.[^*"]+"/);
      continue;
    }
    for (const action of statement.Action) expect(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']).toContain(action);
  }
}

/** The keys of a resource's tags, whichever way its type renders them (list or map). */
export function tagKeys(resource: any): string[] {
  const tags = resource.Properties?.Tags;
  if (!tags) return [];
  return Array.isArray(tags) ? tags.map((t: any) => t.Key) : Object.keys(tags);
}

/** The value of one tag of a resource. */
export function tagValue(resource: any, key: string): string | undefined {
  const tags = resource.Properties?.Tags;
  if (!tags) return undefined;
  return Array.isArray(tags) ? tags.find((t: any) => t.Key === key)?.Value : tags[key];
}

/** The resource types that CloudFormation tags and CDK's tag manager covers, found in a template. */
export function taggableResources(template: Template): Array<[string, any]> {
  return Object.entries(template.toJSON().Resources as Record<string, any>)
    .filter(([, r]) => TAGGABLE_TYPES.has(r.Type));
}

// Resource types in our stacks that accept tags.
const TAGGABLE_TYPES = new Set([
  'AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::S3::Bucket',
  'AWS::DynamoDB::Table', 'AWS::Events::Rule', 'AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::Bedrock::ApplicationInferenceProfile',
]);

/**
 * The pipeline configuration a workflow handler receives (GENAI_PIPELINE_CONFIG), parsed, with references written
 * as `${LogicalId.Attribute}` / `${LogicalId}`.
 */
export function pipelineConfigOf(template: Template, functionLogicalIdPrefix = ''): any {
  const fn = Object.entries(template.findResources('AWS::Lambda::Function'))
    .find(([id]) => id.startsWith(functionLogicalIdPrefix))![1] as any;
  return JSON.parse(flattenIntrinsics(fn.Properties.Environment.Variables.GENAI_PIPELINE_CONFIG));
}

function flattenIntrinsics(value: any): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(flattenIntrinsics).join(value['Fn::Join'][0]);
  if (value['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  if (value.Ref) return `\${${value.Ref}}`;
  throw new Error(`unexpected intrinsic ${JSON.stringify(value)}`);
}
