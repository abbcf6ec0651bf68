import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ApiWorkflow, EmbeddingCache, GenAiTags, ResponseCacheTable, ResponseCacheTableProps } from '../../../lib';
import { createTestStack, policyStatements, tagValue } from '../../support/test-app';

function cacheTemplate(props: ResponseCacheTableProps = {}) {
  const stack = createTestStack();
  const cache = new ResponseCacheTable(stack, 'Cache', props);
  GenAiTags.apply(cache, { feature: 'chat' });
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  cache.grantReadWrite(role);
  return { cache, template: Template.fromStack(stack) };
}

describe('ResponseCacheTable', () => {
  test('is an on-demand table keyed by cacheKey with TTL on expiresAt', () => {
    cacheTemplate().template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('defaults to a one-hour TTL and namespace v1, or takes both from props', () => {
    expect(cacheTemplate().cache.ttl.toSeconds()).toBe(3600);
    expect(cacheTemplate().cache.cacheNamespace).toBe('v1');
    const custom = cacheTemplate({ ttl: Duration.hours(6), cacheNamespace: 'kb-2026-11-28' }).cache;
    expect([custom.ttl.toSeconds(), custom.cacheNamespace]).toEqual([21600, 'kb-2026-11-28']);
  });

  test('grants only GetItem and PutItem on the table', () => {
    const statements = policyStatements(cacheTemplate().template);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  test('fails when the TTL is under an hour or over a day', () => {
    expect(() => cacheTemplate({ ttl: Duration.minutes(5) })).toThrow(/TestStack\/Cache: ttl is 300 seconds\. Fix: use between Duration\.hours\(1\) and Duration\.hours\(24\)/);
    expect(() => cacheTemplate({ ttl: Duration.hours(48) })).toThrow(/ttl is 172800 seconds/);
  });

  test('fails when the namespace has characters a key cannot carry', () => {
    expect(() => cacheTemplate({ cacheNamespace: 'kb v2!' })).toThrow(/TestStack\/Cache: cacheNamespace is 'kb v2!'\. Fix: use 1 to 64 letters/);
  });

  test('matches the snapshot', () => {
    expect(cacheTemplate().template.toJSON()).toMatchSnapshot();
  });
});

describe('the Feature of a shared store', () => {
  test("a store outside any workflow carries Feature 'shared-cache', so the tag policy passes", () => {
    const stack = createTestStack();
    new ResponseCacheTable(stack, 'SharedAnswers');
    new EmbeddingCache(stack, 'SharedVectors');
    const tables = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
    expect(tables.map((t) => tagValue(t, 'Feature'))).toEqual(['shared-cache', 'shared-cache']);
  });

  test('the feature prop names what the store is charged to', () => {
    const stack = createTestStack();
    new EmbeddingCache(stack, 'Vectors', { feature: 'rag' });
    expect(tagValue(Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0], 'Feature')).toBe('rag');
  });

  test('a store inside a scope that sets Feature inherits it', () => {
    const stack = createTestStack();
    const holder = new Construct(stack, 'Search');
    GenAiTags.apply(holder, { feature: 'search' });
    new ResponseCacheTable(holder, 'Answers');
    expect(tagValue(Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0], 'Feature')).toBe('search');
  });

  test("the API workflow's own cache is charged to the workflow's Feature", () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
    expect(tagValue(Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0], 'Feature')).toBe('support-chat');
  });
});
