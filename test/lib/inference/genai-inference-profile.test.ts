import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BedrockModel, CrossRegionGeography, GenAiInferenceProfile } from '../../../lib';
import { createTestStack, policyStatements, tagValue } from '../../support/test-app';

function profileStack(model: BedrockModel): { stack: Stack; profile: GenAiInferenceProfile; role: iam.Role } {
  const stack = createTestStack();
  const profile = new GenAiInferenceProfile(stack, 'Profile', { model, tags: { feature: 'faq', inferenceType: 'realtime' } });
  const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  profile.grantInvoke(role);
  return { stack, profile, role };
}

describe('BedrockModel', () => {
  test('derives provider and short model name for the ModelProvider and Model tags', () => {
    const model = BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(model.provider).toBe('anthropic');
    expect(model.shortName).toBe('claude-haiku-4-5');
    expect(model.invocationId).toBe('us.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(BedrockModel.foundationModel('amazon.nova-micro-v1:0').shortName).toBe('nova-micro');
    expect(BedrockModel.foundationModel('meta.llama3-70b-instruct-v1:0').shortName).toBe('llama-3-70b-instruct');
  });

  test('fails when given a cross-region profile id instead of a base model id', () => {
    expect(() => BedrockModel.foundationModel('us.anthropic.claude-3-haiku-20240307-v1:0'))
      .toThrow(/'us\.anthropic\.claude-3-haiku-20240307-v1:0' is not a Bedrock base model id\. Fix: .*BedrockModel\.crossRegion/);
  });

  test('fails when the id is not a model id at all', () => {
    expect(() => BedrockModel.foundationModel('claude')).toThrow(/'claude' is not a Bedrock base model id/);
  });
});

describe('GenAiInferenceProfile', () => {
  test('copies from the system-defined cross-region profile and carries the GenAI tags', () => {
    const { stack } = profileStack(BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0'));
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', {
      InferenceProfileName: Match.stringLikeRegexp('^TestStack-Profile-[A-Za-z0-9]+$'),
      ModelSource: {
        CopyFrom: { 'Fn::Join': ['', Match.arrayWith([':inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0'])] },
      },
    });
    const profile = Object.values(template.findResources('AWS::Bedrock::ApplicationInferenceProfile'))[0];
    expect(tagValue(profile, 'ModelProvider')).toBe('anthropic');
    expect(tagValue(profile, 'Model')).toBe('claude-haiku-4-5');
    expect(tagValue(profile, 'Feature')).toBe('faq');
    expect(tagValue(profile, 'Environment')).toBe('development');
  });

  test('copies from the foundation model in the stack region for a single-region model', () => {
    const { stack } = profileStack(BedrockModel.foundationModel('amazon.nova-micro-v1:0'));
    Template.fromStack(stack).hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', {
      ModelSource: { CopyFrom: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.nova-micro-v1:0']] } },
    });
  });

  test('grants invoke on the profile, and on the foundation models only through the profile', () => {
    const { stack } = profileStack(BedrockModel.crossRegion(CrossRegionGeography.EU, 'anthropic.claude-sonnet-4-5-20250929-v1:0'));
    const statements = policyStatements(Template.fromStack(stack));

    const direct = statements.find((s) => !s.Condition)!;
    expect(direct.Action.sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
    expect(JSON.stringify(direct.Resource)).toContain('InferenceProfileArn');
    expect(JSON.stringify(direct.Resource)).toContain(':inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0');

    const viaProfile = statements.find((s) => s.Condition)!;
    expect(JSON.stringify(viaProfile.Resource)).toContain(':bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(viaProfile.Condition).toEqual({ StringEquals: { 'bedrock:InferenceProfileArn': { 'Fn::GetAtt': [expect.any(String), 'InferenceProfileArn'] } } });
    for (const s of statements) {
      expect(s.Action).not.toContain('bedrock:*');
      expect(s.Resource).not.toContain('*');
    }
  });

  test('uses the given profile name', () => {
    const stack = createTestStack();
    new GenAiInferenceProfile(stack, 'Named', { model: BedrockModel.foundationModel('amazon.nova-lite-v1:0'), profileName: 'support-chat-nova', tags: { feature: 'x' } });
    Template.fromStack(stack).hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', { InferenceProfileName: 'support-chat-nova' });
  });

  test('matches the snapshot', () => {
    const { stack } = profileStack(BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0'));
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});
