import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { GenAiTags, ResponseCacheTable, ResponseCacheTableProps } from '../../../lib';
import { createTestStack, policyStatements } from '../../support/test-app';

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
