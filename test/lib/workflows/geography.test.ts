import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, BedrockModel, CrossRegionGeography } from '../../../lib';
import { createTestApp, createTestStack } from '../../support/test-app';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const stackIn = (region: string) => new Stack(createTestApp(), 'RegionalStack', { env: { region, account: '111122223333' } });

describe('cross-region geography against the stack Region', () => {
  test('fails when a US profile is routed in eu-west-1, naming the construct, the Region and the fix', () => {
    expect(() => new ApiWorkflow(stackIn('eu-west-1'), 'Chat', {
      tags: { feature: 'support-chat' },
      model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU),
    })).toThrow(/RegionalStack\/Chat: routing\.simple calls 'us\.anthropic\.claude-haiku-4-5-20251001-v1:0' from eu-west-1, but the 'us\.' cross-Region profile can be called only from its geography's Regions, not from eu-west-1.*Fix: BedrockModel\.crossRegion\(CrossRegionGeography\.EU, 'anthropic\.claude-haiku-4-5-20251001-v1:0'\)/);
  });

  test('by default routes through the geography of the stack Region: EU profiles in eu-west-1', () => {
    const stack = stackIn('eu-west-1');
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });

    const profiles = Template.fromStack(stack).findResources('AWS::Bedrock::ApplicationInferenceProfile');
    const sources = Object.values(profiles).map((p: any) => JSON.stringify(p.Properties.ModelSource.CopyFrom));
    expect(sources).toHaveLength(3);
    for (const source of sources) expect(source).toContain('inference-profile/eu.anthropic.claude-');
  });

  test('in ap-southeast-2 the default routing uses the profiles the models have there: au. for Haiku and Sonnet 4.5, global. for Opus 4.5', () => {
    // The model cards list au. and jp. profiles for the Claude 4.5 models, no apac.: apac. would fail at deploy.
    const stack = stackIn('ap-southeast-2');
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });

    const sources = Object.values(Template.fromStack(stack).findResources('AWS::Bedrock::ApplicationInferenceProfile'))
      .map((p: any) => JSON.stringify(p.Properties.ModelSource.CopyFrom)).sort();
    expect(sources).toHaveLength(3);
    expect(sources[0]).toContain('inference-profile/au.anthropic.claude-haiku-4-5');
    expect(sources[1]).toContain('inference-profile/au.anthropic.claude-sonnet-4-5');
    expect(sources[2]).toContain('inference-profile/global.anthropic.claude-opus-4-5');
  });

  test('warns, with an id, when the stack has no Region to check the geography against', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });

    Annotations.fromStack(stack).hasWarning('/TestStack/Chat', Match.stringLikeRegexp('cross-region profile.*no Region to check'));
    expect(JSON.stringify(Annotations.fromStack(stack).findWarning('/TestStack/Chat', Match.anyValue()))).toContain('genai-finops:region-agnostic-geography');
  });

  test('accepts a foundation model in any Region', () => {
    expect(() => new ApiWorkflow(stackIn('eu-central-1'), 'Chat', {
      tags: { feature: 'support-chat' }, model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'),
    })).not.toThrow();
  });
});
