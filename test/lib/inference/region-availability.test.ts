import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, BedrockModel, CrossRegionGeography, DocumentWorkflow, GenAiInferenceProfile } from '../../../lib';
import { createTestApp } from '../../support/test-app';

const OPUS_45 = 'anthropic.claude-opus-4-5-20251101-v1:0';
const SONNET_45 = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA_PREMIER = 'amazon.nova-premier-v1:0';
const OPUS_46 = 'anthropic.claude-opus-4-6-v1';
const SONNET_46 = 'anthropic.claude-sonnet-4-6';
const NOVA_2_LITE = 'amazon.nova-2-lite-v1:0';
const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';

function stackIn(region?: string): Stack {
  return new Stack(createTestApp(), 'TestStack', region ? { env: { account: '111111111111', region } } : {});
}

function profileIn(region: string | undefined, model: BedrockModel): Stack {
  const stack = stackIn(region);
  new GenAiInferenceProfile(stack, 'Profile', { model });
  return stack;
}

/** The synthesis error, or undefined. */
function errorOf(make: () => unknown): string | undefined {
  try {
    make();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('model availability by Region at synthesis', () => {
  test('fails when Nova Premier goes through an eu. profile in eu-west-1, and names what serves it', () => {
    const message = errorOf(() => profileIn('eu-west-1', BedrockModel.crossRegion(CrossRegionGeography.EU, NOVA_PREMIER)));

    expect(message).toMatch(/^TestStack\/Profile: model calls 'eu\.amazon\.nova-premier-v1:0' from eu-west-1, but 'amazon\.nova-premier-v1:0' has no 'eu\.' cross-Region profile/);
    // No option serves eu-west-1: the fix says where the model is served, not an option that would fail too.
    expect(message).toMatch(/Fix: no documented option serves eu-west-1: deploy the stack to a Region that does \(the 'us\.' profile from its geography's Regions\), or route to another model\.$/);
    expect(message).not.toMatch(/CrossRegionGeography\.(EU|GLOBAL)/);
  });

  test('fails when Sonnet 4.5 is called in-Region (its model card marks In-Region unsupported), and offers the profiles that serve the Region', () => {
    const message = errorOf(() => profileIn('us-east-1', BedrockModel.foundationModel(SONNET_45)));

    expect(message).toMatch(/TestStack\/Profile: model calls 'anthropic\.claude-sonnet-4-5-20250929-v1:0' from us-east-1, but .* is not offered in-Region in any Region/);
    expect(message).toContain(`Fix: BedrockModel.crossRegion(CrossRegionGeography.US, '${SONNET_45}'), or BedrockModel.crossRegion(CrossRegionGeography.GLOBAL, '${SONNET_45}').`);
    expect(message).not.toContain('foundationModel');
  });

  test('fails for an in-Region Sonnet 4.5 even when the stack is Region-agnostic: no Region offers it', () => {
    expect(errorOf(() => profileIn(undefined, BedrockModel.foundationModel(SONNET_45))))
      .toMatch(/from any Region \(the stack is Region-agnostic\), but .* not offered in-Region in any Region/);
  });

  test('warns, not fails, for an in-Region Opus 4.5: no AWS or Anthropic source documents its in-Region offering', () => {
    const stack = profileIn('us-east-1', BedrockModel.foundationModel(OPUS_45));

    Annotations.fromStack(stack).hasWarning('/TestStack/Profile', Match.stringLikeRegexp('not offered in-Region in any Region \\(\\[vendor-docs\\].*Options the data records for us-east-1: BedrockModel\\.crossRegion\\(CrossRegionGeography\\.US'));
    Template.fromStack(stack).resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 1);
  });

  test('passes Opus 4.6 through jp. in Tokyo and apac. in Singapore (Anthropic marks both), with no warning', () => {
    for (const [region, geography] of [['ap-northeast-1', CrossRegionGeography.JP], ['ap-southeast-1', CrossRegionGeography.APAC]] as const) {
      const stack = profileIn(region, BedrockModel.crossRegion(geography, OPUS_46));

      Template.fromStack(stack).resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 1);
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('model-region'))).toEqual([]);
    }
  });

  test('an ApiWorkflow in ap-northeast-1 routes Opus 4.6 through jp.', () => {
    const stack = stackIn('ap-northeast-1');
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' }, model: BedrockModel.crossRegion(CrossRegionGeography.JP, OPUS_46) });

    const sources = Object.values(Template.fromStack(stack).findResources('AWS::Bedrock::ApplicationInferenceProfile'))
      .map((r) => JSON.stringify((r as { Properties: { ModelSource: unknown } }).Properties.ModelSource));
    expect(sources.some((s) => s.includes('inference-profile/jp.anthropic.claude-opus-4-6-v1'))).toBe(true);
  });

  test("fails for a profile Anthropic's table marks absent: Sonnet 4.6 through apac.", () => {
    expect(errorOf(() => profileIn('ap-southeast-1', BedrockModel.crossRegion(CrossRegionGeography.APAC, SONNET_46))))
      .toMatch(/has no 'apac\.' cross-Region profile \(\[vendor-docs\]/);
  });

  test('warns, not fails, for a profile only a third-party table leaves out: Nova 2 Lite through apac.', () => {
    const stack = profileIn('ap-southeast-1', BedrockModel.crossRegion(CrossRegionGeography.APAC, NOVA_2_LITE));

    Annotations.fromStack(stack).hasWarning('/TestStack/Profile', Match.stringLikeRegexp("has no 'apac\\.' cross-Region profile \\(\\[catalog\\] models\\.dev"));
    Template.fromStack(stack).resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 1);
  });

  test('warns on a model the region data now covers beyond Claude: DeepSeek-R1 through eu.', () => {
    const stack = profileIn('eu-west-1', BedrockModel.crossRegion(CrossRegionGeography.EU, 'deepseek.r1-v1:0'));

    Annotations.fromStack(stack).hasWarning('/TestStack/Profile', Match.stringLikeRegexp("'deepseek\\.r1-v1:0' has no 'eu\\.' cross-Region profile .*it has: us\\."));
  });

  test('fails the default routing in GovCloud with "no default routing", naming the path and the fix, and recommending nothing', () => {
    const message = errorOf(() => new DocumentWorkflow(stackIn('us-gov-west-1'), 'Docs', { tags: { feature: 'docs' } }))!;

    expect(message).toMatch(/^TestStack\/Docs: no default routing for us-gov-west-1: .*AWS GovCloud \(US\).* Fix: set `routing` \(or `model`\)/);
    expect(message).not.toMatch(/routing\.simple|routing\.medium|routing\.complexTier/);
    expect(message).not.toContain(`foundationModel('${HAIKU_45}')`);
    expect(message).not.toMatch(/CrossRegionGeography\.(US_GOV|US|GLOBAL)\b/);
  });

  test('fails the default routing in a China Region the same way', () => {
    expect(errorOf(() => new DocumentWorkflow(stackIn('cn-north-1'), 'Docs', { tags: { feature: 'docs' } })))
      .toMatch(/^TestStack\/Docs: no default routing for cn-north-1: .*an AWS China Region.*Fix: set `routing`/);
  });

  test('warns, not fails, for an in-Region Haiku 4.5 in GovCloud: "in-Region somewhere" is recorded for commercial Regions only', () => {
    const stack = profileIn('us-gov-west-1', BedrockModel.foundationModel(HAIKU_45));

    Annotations.fromStack(stack).hasWarning('/TestStack/Profile', Match.stringLikeRegexp('offered in-Region in us-gov-west-1 \\(AWS GovCloud \\(US\\)\\) is not recorded'));
  });

  test('passes a Region-agnostic stack whose option exists somewhere, without an error', () => {
    const stack = profileIn(undefined, BedrockModel.crossRegion(CrossRegionGeography.EU, SONNET_45));
    Template.fromStack(stack).resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 1);
  });

  test('fails for global. in GovCloud, and does not recommend global.', () => {
    const message = errorOf(() => profileIn('us-gov-west-1', BedrockModel.crossRegion(CrossRegionGeography.GLOBAL, SONNET_45)));

    expect(message).toMatch(/from us-gov-west-1, but the 'global\.' cross-Region profile routes among commercial Regions only and cannot be called from us-gov-west-1 \(AWS GovCloud \(US\)\)/);
    expect(message).not.toMatch(/CrossRegionGeography\.GLOBAL/);
    expect(message).not.toMatch(/CrossRegionGeography\.US,/);
  });

  test('fails for a us. profile in GovCloud, and recommends neither us. nor global.', () => {
    const message = errorOf(() => profileIn('us-gov-west-1', BedrockModel.crossRegion(CrossRegionGeography.US, SONNET_45)))!;

    expect(message).toMatch(/the 'us\.' cross-Region profile can be called only from its geography's Regions, not from us-gov-west-1/);
    const fix = message.slice(message.indexOf('Fix:'));
    expect(fix).not.toMatch(/CrossRegionGeography\.(US|GLOBAL)\b/);
  });

  test('fails for global. in a China Region, and recommends nothing that fails there', () => {
    const message = errorOf(() => profileIn('cn-north-1', BedrockModel.crossRegion(CrossRegionGeography.GLOBAL, SONNET_45)))!;

    expect(message).toMatch(/cannot be called from cn-north-1 \(an AWS China Region\)/);
    expect(message).toMatch(/Fix: no documented option serves cn-north-1/);
    expect(message.slice(message.indexOf('Fix:'))).not.toMatch(/CrossRegionGeography\.GLOBAL|foundationModel/);
  });

  test('warns, not fails, in a Region the availability data does not know', () => {
    const stack = profileIn('xx-mars-1', BedrockModel.crossRegion(CrossRegionGeography.GLOBAL, SONNET_45));

    Annotations.fromStack(stack).hasWarning('/TestStack/Profile', Match.stringLikeRegexp("xx-mars-1 is not among the Regions the model availability data knows .* so whether it serves 'anthropic\\.claude-sonnet-4-5-20250929-v1:0' is not checked"));
    Template.fromStack(stack).resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 1);
  });

  test('passes a documented option with no warning', () => {
    const stack = profileIn('eu-west-1', BedrockModel.crossRegion(CrossRegionGeography.EU, SONNET_45));

    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('genai-finops:model-region'));
    expect(warnings).toEqual([]);
  });

  test('a workflow names the routing prop that chose the model', () => {
    const stack = stackIn('us-east-1');
    const message = errorOf(() => new DocumentWorkflow(stack, 'Docs', {
      routing: { simple: BedrockModel.crossRegion(CrossRegionGeography.US, OPUS_45), complexTier: BedrockModel.foundationModel(SONNET_45) },
    }));

    expect(message).toMatch(/^TestStack\/Docs: routing\.complexTier calls 'anthropic\.claude-sonnet-4-5-20250929-v1:0' from us-east-1, but .* not offered in-Region/);
  });

  test('the default routing in Tokyo takes the profiles that exist there (jp. for Sonnet and Haiku, global. for Opus)', () => {
    const stack = stackIn('ap-northeast-1');
    new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'docs' } });

    const sources = Object.values(Template.fromStack(stack).findResources('AWS::Bedrock::ApplicationInferenceProfile'))
      .map((r) => JSON.stringify((r as { Properties: { ModelSource: unknown } }).Properties.ModelSource));
    expect(sources.some((s) => s.includes('inference-profile/jp.anthropic.claude-sonnet-4-5'))).toBe(true);
    expect(sources.some((s) => s.includes('inference-profile/jp.anthropic.claude-haiku-4-5'))).toBe(true);
    expect(sources.some((s) => s.includes('inference-profile/global.anthropic.claude-opus-4-5'))).toBe(true);
  });
});
