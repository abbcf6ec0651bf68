import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, BedrockModel, CrossRegionGeography, ScheduledWorkflow } from '../../../lib';
import { evaluateAccess } from '../../../lib/finops-checks/policy-evaluator';
import { environmentOf, identityPoliciesOf } from '../../../lib/finops-checks/signal-paths';
import { templateResolver } from '../../../lib/finops-checks/template-resolver';
import { PipelineConfigDocument } from '../../../shared/contract';
import { baseModelId } from '../../../shared/core';
import { simulate } from '../../support/policy-simulator';
import { createTestApp } from '../../support/test-app';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA_PRO = 'amazon.nova-pro-v1:0';
const OPUS = 'anthropic.claude-opus-4-1-20250805-v1:0';
const fm = (modelId: string, region = REGION) => `arn:aws:bedrock:${region}::foundation-model/${modelId}`;

/** The handler's role and the models its pipeline configuration routes to, from the synthesized template. */
function handlerOf(template: any, idPrefix: string) {
  const r = templateResolver(template, environmentOf(template));
  const [fnId, fn] = Object.entries<any>(template.Resources)
    .find(([id, res]) => res.Type === 'AWS::Lambda::Function' && id.startsWith(idPrefix) && res.Properties.Environment?.Variables?.GENAI_PIPELINE_CONFIG)!;
  const config = JSON.parse(String(r.resolve(fn.Properties.Environment.Variables.GENAI_PIPELINE_CONFIG))) as PipelineConfigDocument;
  const roleId = r.logicalIdOf(fn.Properties.Role)!;
  return { fnId, config, principal: String(r.refOf(roleId, 'Arn')), identityPolicies: identityPoliciesOf(r, template, roleId) };
}

/** May the role count tokens on `resource`? The IAM policy simulator decides, and the library's evaluator agrees. */
async function mayCount(handler: ReturnType<typeof handlerOf>, resource: string): Promise<string> {
  const request = { principal: handler.principal, action: 'bedrock:CountTokens', resource, resourceAccount: ACCOUNT, context: { 'aws:SecureTransport': 'true' } };
  const decision = await simulate(request, { identityPolicies: handler.identityPolicies });
  expect(evaluateAccess(request, { identityPolicies: handler.identityPolicies })).toBe(decision);
  return decision;
}

/**
 * Near the prompt limit the runtime asks CountTokens for the routed model's base foundation model, in its own Region
 * (lambda/pipeline/pipeline.ts): the role may do exactly that, and nothing wider.
 */
describe('the workflow role may call bedrock:CountTokens on the routed foundation models in its Region, and nothing else', () => {
  test('an ApiWorkflow routing a cross-Region profile and an in-Region model', async () => {
    // Given a US stack routing Haiku and Sonnet through the us. profile and Nova Pro in Region
    const stack = new Stack(createTestApp(), 'Counting', { env: { account: ACCOUNT, region: REGION } });
    new ApiWorkflow(stack, 'Chat', {
      tags: { feature: 'support-chat' },
      routing: {
        simple: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU),
        medium: BedrockModel.foundationModel(NOVA_PRO),
        complexTier: BedrockModel.crossRegion(CrossRegionGeography.US, SONNET),
      },
    });
    const handler = handlerOf(Template.fromStack(stack).toJSON(), 'ChatHandler');

    // Then the ids the runtime counts (the base id of each tier's model) are exactly the models granted
    const counted = Object.values(handler.config.tiers).map((t) => baseModelId(t.modelId)).sort();
    expect(counted).toEqual([HAIKU, NOVA_PRO, SONNET].sort());
    for (const id of counted) expect(await mayCount(handler, fm(id))).toBe('Allowed');

    // And a profile cannot be counted on at all (the simulator's Service Authorization data has no such resource type
    // for CountTokens), nor another Region, another model or every model
    await expect(mayCount(handler, `arn:aws:bedrock:${REGION}:${ACCOUNT}:inference-profile/us.${HAIKU}`)).rejects.toThrow(/no\.resource\.types/);
    expect(await mayCount(handler, fm(HAIKU, 'us-west-2'))).not.toBe('Allowed');
    expect(await mayCount(handler, fm(OPUS))).not.toBe('Allowed');
    // (a wildcard resource: the one statement naming CountTokens lists exactly the three ARNs, never `*` or `bedrock:*`)
    const statements = handler.identityPolicies.flatMap((d: any) => [].concat(d.Statement))
      .filter((st: any) => [].concat(st.Action).some((a: string) => a === 'bedrock:CountTokens' || a === 'bedrock:*'));
    expect(statements.map((st: any) => [].concat(st.Resource).sort())).toEqual([counted.map((id) => fm(id)).sort()]);
  });

  test("a ScheduledWorkflow may count its batch model's records (the simple tier's base model) in its Region", async () => {
    // Given a scheduled workflow batching on Haiku through the us. profile
    const stack = new Stack(createTestApp(), 'Nightly', { env: { account: ACCOUNT, region: REGION } });
    new ScheduledWorkflow(stack, 'Digest', { tags: { feature: 'digest' }, model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) });
    const template = Template.fromStack(stack).toJSON();
    const handler = handlerOf(template, 'DigestHandler');
    const batchModel = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.BATCH_MODEL_ID)
      ?.Properties.Environment.Variables.BATCH_MODEL_ID;

    // Then the batch planner's model (counted as lambda/schedule/batch-day.ts does) may be counted, and no other
    expect(baseModelId(batchModel)).toBe(HAIKU);
    expect(await mayCount(handler, fm(baseModelId(batchModel)))).toBe('Allowed');
    expect(await mayCount(handler, fm(SONNET))).not.toBe('Allowed');
  });
});
