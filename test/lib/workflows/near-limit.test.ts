import { Lazy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ApiWorkflow, AtLimit, BedrockModel, DocumentWorkflow, GenAiWorkflowProps, NearLimitAction, ResponseCacheTable, RoutingTier, UsageScope, UsageWindow,
} from '../../../lib';
import { createTestStack, pipelineConfigOf } from '../../support/test-app';

const USD_LIMIT: Partial<GenAiWorkflowProps> = { usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: 50 }] };
const NOVA_PRO = BedrockModel.foundationModel('amazon.nova-pro-v1:0');
const NOVA_LITE = BedrockModel.foundationModel('amazon.nova-lite-v1:0');

function chat(props: Partial<GenAiWorkflowProps>): () => ApiWorkflow {
  const stack = createTestStack();
  return () => new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' }, ...USD_LIMIT, ...props });
}

describe('workflow nearLimit', () => {
  test('writes the policy into the default feature with the contract defaults filled in', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' }, ...USD_LIMIT, nearLimit: { action: NearLimitAction.CHEAPER_TIER } });

    expect(pipelineConfigOf(Template.fromStack(stack), 'ChatHandler').defaultLimits.nearLimit).toEqual({ action: 'cheaperTier', atShare: 0.8, tier: 'simple', atLimit: 'refuse' });
  });

  test('writes what is given', () => {
    const stack = createTestStack();
    new DocumentWorkflow(stack, 'Docs', {
      tags: { feature: 'review' }, ...USD_LIMIT, routing: { simple: NOVA_LITE, medium: NOVA_PRO },
      nearLimit: { action: NearLimitAction.FLEX, atShare: 0.9, atLimit: AtLimit.DEGRADE },
    });

    expect(pipelineConfigOf(Template.fromStack(stack), 'DocsHandler').defaultLimits.nearLimit).toEqual({ action: 'flex', atShare: 0.9, atLimit: 'degrade' });
  });

  test('writes nothing without the prop', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' }, ...USD_LIMIT });

    expect(pipelineConfigOf(Template.fromStack(stack), 'ChatHandler').defaultLimits.nearLimit).toBeUndefined();
  });

  test.each([0, -0.1, 1.01])('fails on atShare %p', (atShare) => {
    expect(chat({ nearLimit: { action: NearLimitAction.CACHE_ONLY, atShare } }))
      .toThrow(new RegExp(`TestStack/Chat: nearLimit\\.atShare is ${atShare}\\. Fix: use the share of a limit from which to degrade, more than 0 and at most 1`));
  });

  test('leaves an unresolved atShare to deploy time', () => {
    expect(chat({ nearLimit: { action: NearLimitAction.CACHE_ONLY, atShare: Lazy.number({ produce: () => 0.7 }) } })).not.toThrow();
  });

  test('fails on a tier without cheaperTier', () => {
    expect(chat({ nearLimit: { action: NearLimitAction.CACHE_ONLY, tier: RoutingTier.SIMPLE } }))
      .toThrow(/TestStack\/Chat: nearLimit\.tier is 'simple', but the action is 'cacheOnly'.*Fix: remove tier/);
  });

  test('fails on a cheaperTier tier that is not routed, or not cheaper than the dearest routed one', () => {
    expect(chat({ routing: { simple: NOVA_LITE, medium: NOVA_PRO }, nearLimit: { action: NearLimitAction.CHEAPER_TIER, tier: RoutingTier.COMPLEX } }))
      .toThrow(/nearLimit\.tier is 'complex', but this workflow routes no model to that tier \(it routes simple, medium\)/);
    expect(chat({ routing: { simple: NOVA_LITE, medium: NOVA_PRO }, nearLimit: { action: NearLimitAction.CHEAPER_TIER, tier: RoutingTier.MEDIUM } }))
      .toThrow(/nearLimit\.tier is 'medium' \('amazon\.nova-pro-v1:0'\), which is not cheaper than the dearest routed tier, 'medium'.*Fix: use a cheaper routed tier/);
    expect(chat({ model: NOVA_PRO, nearLimit: { action: NearLimitAction.CHEAPER_TIER } }))
      .toThrow(/nearLimit\.tier is 'simple' \('amazon\.nova-pro-v1:0'\), which is not cheaper than the dearest routed tier, 'simple'/);
  });

  test('fails on flex when no routed model has a Flex price', () => {
    expect(chat({ nearLimit: { action: NearLimitAction.FLEX } }))
      .toThrow(/TestStack\/Chat: nearLimit\.action is NearLimitAction\.FLEX, but no routed model \(.*claude-haiku-4-5.*\) has a Flex price in the catalog.*Fix: route a model Bedrock offers in Flex/);
  });

  test('fails without a token or USD limit: request-rate limits never degrade', () => {
    expect(chat({ usageLimits: [{ scope: UsageScope.USER, window: UsageWindow.MINUTE, maxRequests: 10 }], nearLimit: { action: NearLimitAction.CACHE_ONLY } }))
      .toThrow(/TestStack\/Chat: nearLimit is set, but no usageLimits entry has maxTokens or maxCostUsd, so it could never apply.*Fix: add a token or USD limit/);
    expect(chat({ usageLimits: undefined, nearLimit: { action: NearLimitAction.CACHE_ONLY } })).toThrow(/could never apply/);
  });

  test('fails on defer where the workflow cannot defer', () => {
    const stack = createTestStack();
    expect(() => new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'review' }, ...USD_LIMIT, nearLimit: { action: NearLimitAction.DEFER } }))
      .toThrow(/TestStack\/Docs: nearLimit\.action is NearLimitAction\.DEFER, but this workflow cannot defer work: only an ApiWorkflow with deferTo/);
  });

  test('fails on cacheOnly without a response cache, which would refuse every call from the share on', () => {
    expect(chat({ responseCaching: false, nearLimit: { action: NearLimitAction.CACHE_ONLY } } as Partial<GenAiWorkflowProps>))
      .toThrow(/TestStack\/Chat: nearLimit\.action is NearLimitAction\.CACHE_ONLY, but this workflow has no response cache.*Fix: give the workflow a responseCache/);
    const stack = createTestStack();
    expect(() => new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'review' }, ...USD_LIMIT, nearLimit: { action: NearLimitAction.CACHE_ONLY } }))
      .toThrow(/TestStack\/Docs: nearLimit\.action is NearLimitAction\.CACHE_ONLY, but this workflow has no response cache/);
    // With a cache (the API's own, or one given to a document workflow) it synthesizes.
    expect(chat({ nearLimit: { action: NearLimitAction.CACHE_ONLY } })).not.toThrow();
    const shared = createTestStack();
    const cache = new ResponseCacheTable(shared, 'Cache');
    new DocumentWorkflow(shared, 'Docs', { tags: { feature: 'review' }, ...USD_LIMIT, responseCache: cache, nearLimit: { action: NearLimitAction.CACHE_ONLY } });
    expect(pipelineConfigOf(Template.fromStack(shared), 'DocsHandler').defaultLimits.nearLimit).toMatchObject({ action: 'cacheOnly' });
  });

  test('prop-check names a wrong action or a misspelled key', () => {
    expect(chat({ nearLimit: { action: 'cheaper' as NearLimitAction } })).toThrow(/nearLimit\.action must be one of 'cheaperTier', 'flex', 'cacheOnly', 'defer'; got the string "cheaper"\. Fix: use NearLimitAction\./);
    expect(chat({ nearLimit: { action: NearLimitAction.FLEX, atshare: 0.5 } as never })).toThrow(/atshare/);
  });
});
