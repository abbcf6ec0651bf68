import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, EmbeddingCache, ScheduledWorkflow } from '../../../lib';
import { createTestStack, pipelineConfigOf, policyStatements, tagValue } from '../../support/test-app';

// Finding 6: Bedrock bills tokens to the resource invoked. Embeddings called by foundation-model id reach the bill
// without the workflow's tags; through the workflow's application inference profile they carry them.

const TITAN_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.titan-embed-text-v2:0']] };

function apiWithEmbeddings() {
  const stack = createTestStack();
  const embeddingCache = new EmbeddingCache(stack, 'Embeddings', { dimensions: 512 });
  const chat = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, embeddingCache });
  return { chat, template: Template.fromStack(stack) };
}

describe('embeddings attribution', () => {
  test('POST /embed invokes the embeddings model through an application inference profile of the workflow', () => {
    const { chat, template } = apiWithEmbeddings();

    const profileId = template.getResourceId('AWS::Bedrock::ApplicationInferenceProfile', { Properties: { ModelSource: { CopyFrom: TITAN_ARN } } });
    expect(pipelineConfigOf(template).embedding.invokeId).toBe(`\${${profileId}.InferenceProfileArn}`);
    expect(pipelineConfigOf(template).embedding.modelId).toBe('amazon.titan-embed-text-v2:0');
    expect(chat.embeddingProfile).toBeDefined();
    // The profile carries the workflow's tags: the bill attributes the embeddings to the feature.
    const profile = template.toJSON().Resources[profileId];
    expect(tagValue(profile, 'Feature')).toBe('support-chat');
    expect(tagValue(profile, 'Model')).toBe('titan-embed-text-v2');
  });

  test('IAM allows the embeddings model only through that profile: no direct, untagged call', () => {
    const { template } = apiWithEmbeddings();
    const profileId = Object.entries(template.findResources('AWS::Bedrock::ApplicationInferenceProfile'))
      .find(([, r]) => JSON.stringify(r).includes('titan-embed'))![0];
    const profileArn = { 'Fn::GetAtt': [profileId, 'InferenceProfileArn'] };

    const embed = policyStatements(template).filter((s) => JSON.stringify(s).includes('titan-embed') || JSON.stringify(s.Resource).includes(profileId));
    expect(embed).toHaveLength(2);
    expect(embed).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Allow', Action: ['bedrock:InvokeModel'], Resource: [profileArn] }),
      expect.objectContaining({
        Effect: 'Allow', Action: ['bedrock:InvokeModel'],
        Resource: [TITAN_ARN],
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
      }),
    ]));
    // Nothing grants the foundation model without the condition
    for (const statement of embed.filter((s) => JSON.stringify(s.Resource).includes('foundation-model/amazon.titan-embed'))) {
      expect(statement.Condition).toBeDefined();
    }
  });

  test('batch jobs keep the system profile, and are attributed by their roles: both carry the workflow tags (CUR 2.0 iamPrincipal/ tags)', () => {
    const stack = createTestStack();
    new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'digest' } });
    const template = Template.fromStack(stack);

    const roles = Object.entries(template.findResources('AWS::IAM::Role'));
    const batchRole = roles.find(([id]) => id.includes('BatchServiceRole'));
    const handlerRole = roles.find(([id]) => id.includes('HandlerServiceRole'));
    for (const [, role] of [batchRole!, handlerRole!]) {
      expect(tagValue(role, 'Feature')).toBe('digest');
      expect(tagValue(role, 'Application')).toBeDefined();
    }
  });
});
