import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EmbeddingCache, EmbeddingCacheProps, GenAiTags } from '../../../lib';
import { createTestStack, policyStatements } from '../../support/test-app';

function embeddingTemplate(props: EmbeddingCacheProps = {}) {
  const stack = createTestStack();
  const cache = new EmbeddingCache(stack, 'Embeddings', props);
  GenAiTags.apply(cache, { feature: 'rag' });
  const role = new iam.Role(stack, 'User', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  cache.grantReadWrite(role);
  return { cache, template: Template.fromStack(stack) };
}

describe('EmbeddingCache', () => {
  test('is an on-demand table keyed by cacheKey with TTL, Titan v2 at 1024 dimensions for 30 days by default', () => {
    const { cache, template } = embeddingTemplate();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect([cache.modelId, cache.dimensions, cache.ttl.toDays()]).toEqual(['amazon.titan-embed-text-v2:0', 1024, 30]);
  });

  test('grants batch reads and writes on its table and InvokeModel on the embeddings model only', () => {
    const statements = policyStatements(embeddingTemplate().template);
    const dynamo = statements.find((s) => s.Action.some((a) => a.startsWith('dynamodb:')))!;
    expect(dynamo.Action.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    const bedrock = statements.find((s) => s.Action.some((a) => a.startsWith('bedrock:')))!;
    expect(bedrock.Action).toEqual(['bedrock:InvokeModel']);
    expect(JSON.stringify(bedrock.Resource)).toContain('::foundation-model/amazon.titan-embed-text-v2:0');
    expect(bedrock.Resource).not.toContain('*');
  });

  test('accepts Titan v1 at its fixed 1536 dimensions', () => {
    const { cache } = embeddingTemplate({ modelId: 'amazon.titan-embed-text-v1', ttl: Duration.days(7) });
    expect([cache.dimensions, cache.ttl.toDays()]).toEqual([1536, 7]);
  });

  test('fails when the model is not a Titan text embeddings model', () => {
    expect(() => embeddingTemplate({ modelId: 'cohere.embed-english-v3' })).toThrow(/TestStack\/Embeddings: modelId is 'cohere\.embed-english-v3'\. Fix: use a Titan Text Embeddings model/);
  });

  test('fails when the dimensions do not exist for the model', () => {
    expect(() => embeddingTemplate({ dimensions: 768 })).toThrow(/TestStack\/Embeddings: dimensions is 768\. Fix: use 256, 512 or 1024 for Titan v2/);
  });

  test('matches the snapshot', () => {
    expect(embeddingTemplate().template.toJSON()).toMatchSnapshot();
  });
});
