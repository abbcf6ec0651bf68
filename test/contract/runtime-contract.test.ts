import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ENV, METRIC_NAMESPACE } from '../../shared/contract';
import { PipelineConfig, readPipelineConfig } from '../../lambda/pipeline/config';
import { readDeferralSettings } from '../../lambda/api/deferred-store';
import {
  ApiWorkflow, ApiWorkflowProps, AtLimit, BedrockModel, CircuitBreaker, CrossRegionGeography, DocumentWorkflow, EmbeddingCache, GenAiWorkflowProps,
  NearLimitAction, ResponseCacheTable, RoutingTier, ScheduledWorkflow, UsageLedger, UsageScope, UsageWindow,
} from '../../lib';
import { resolveIntrinsics } from '../support/intrinsics';
import { createTestStack } from '../support/test-app';

type WorkflowKind = 'api' | 'document' | 'scheduled';

/** The environment of the workflow's handler, as a deployed function would see it (references as placeholders). */
function handlerEnvironment(kind: WorkflowKind, props: (stack: Stack) => GenAiWorkflowProps): Record<string, string> {
  const stack = createTestStack();
  const given = props(stack);
  const withFeature = { ...given, tags: { feature: 'support-chat', ...given.tags } };
  if (kind === 'api') new ApiWorkflow(stack, 'Workflow', withFeature as ApiWorkflowProps);
  else if (kind === 'document') new DocumentWorkflow(stack, 'Workflow', withFeature);
  else new ScheduledWorkflow(stack, 'Workflow', withFeature);
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } });
  const handler = Object.entries(functions).find(([id]) => id.startsWith('WorkflowHandler'))![1] as any;
  return resolveIntrinsics(handler.Properties.Environment.Variables) as Record<string, string>;
}

/** What the runtime reads from that environment. */
function runtimeConfig(kind: WorkflowKind, props: (stack: Stack) => GenAiWorkflowProps = () => ({})): PipelineConfig {
  return readPipelineConfig(handlerEnvironment(kind, props));
}

const HAIKU = BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0');
const SONNET = BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-sonnet-4-5-20250929-v1:0');

/** Every prop that shapes the runtime, a non-default value for it, and what the runtime must then read. */
const PROPS: ReadonlyArray<[string, (stack: Stack) => GenAiWorkflowProps, (config: PipelineConfig) => unknown, unknown]> = [
  ['maxTokens', () => ({ maxTokens: 777 }), (c) => c.features[c.defaultFeature].maxOutputTokens, 777],
  ['maxInputTokens', () => ({ maxInputTokens: 12_345 }), (c) => c.features[c.defaultFeature].maxInputTokens, 12_345],
  ['maxHintedTier', () => ({ maxHintedTier: RoutingTier.MEDIUM }), (c) => c.features[c.defaultFeature].maxHintedTier, 'medium'],
  ['nearLimit', () => ({
    usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: 250 }], routing: { simple: HAIKU, medium: SONNET },
    nearLimit: { action: NearLimitAction.CHEAPER_TIER, atShare: 0.75, atLimit: AtLimit.DEGRADE },
  }), (c) => c.features[c.defaultFeature].nearLimit, { action: 'cheaperTier', atShare: 0.75, tier: 'simple', atLimit: 'degrade' }],
  ['promptCaching', () => ({ promptCaching: false }), (c) => c.promptCaching, false],
  ['model', () => ({ model: SONNET }), (c) => Object.values(c.tiers).map((t) => t!.modelId), ['us.anthropic.claude-sonnet-4-5-20250929-v1:0']],
  ['routing', () => ({ routing: { simple: HAIKU, medium: SONNET } }), (c) => Object.keys(c.tiers), ['simple', 'medium']],
  ['systemPrompt', () => ({ systemPrompt: 'Answer in French.' }), (c) => c.defaultSystemPrompt, 'Answer in French.'],
  ['tags.feature', () => ({ tags: { feature: 'claims-triage' } }), (c) => c.defaultFeature, 'claims-triage'],
  ['responseCache', (stack) => ({ responseCache: new ResponseCacheTable(stack, 'Shared', { ttl: Duration.hours(6), cacheNamespace: 'v7' }) }),
    (c) => [c.responseCache?.ttlSeconds, c.responseCache?.namespace], [21_600, 'v7']],
  ['modelPrices', () => ({ modelPrices: [{ modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0', inputPerMillion: 0.9, outputPerMillion: 4.5 }] }),
    (c) => c.priceOverrides['anthropic.claude-haiku-4-5-20251001-v1:0'], { inputPerMillion: 0.9, outputPerMillion: 4.5 }],
  ['usageLimits', () => ({ usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: 250, maxTokens: 1_000_000 }] }),
    (c) => c.guards, { store: 'container', usageLimits: [{ scope: 'tenant', window: 'month', maxTokens: 1_000_000, maxCostUsd: 250 }] }],
  // Another stack's ledger and breaker, imported by their tables (UsageLedger.fromTable, CircuitBreaker.fromTable).
  ['usageLedger (imported)', (stack) => ({
    usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxTokens: 100_000, tier: 'startup' }],
    usageLedger: UsageLedger.fromTable(stack, 'Ledger', dynamodb.Table.fromTableArn(stack, 'LedgerTable', 'arn:aws:dynamodb:us-east-1:111122223333:table/shared-ledger'),
      { tenantTiers: { 'key:k-big': 'enterprise' }, defaultTenantTier: 'startup' }),
  }), (c) => [c.guards.store, c.guards.ledgerTableName, c.guards.tenantTiers, c.guards.defaultTier],
  ['dynamodb', 'shared-ledger', { 'key:k-big': 'enterprise' }, 'startup']],
  ['usageLimits (run scope)', (stack) => ({
    usageLimits: [{ scope: UsageScope.RUN, window: UsageWindow.DAY, maxRequests: 20, maxCostUsd: 0.5 }],
    usageLedger: UsageLedger.fromTable(stack, 'Ledger', dynamodb.Table.fromTableArn(stack, 'LedgerTable', 'arn:aws:dynamodb:us-east-1:111122223333:table/shared-ledger')),
  }), (c) => [c.guards.store, c.guards.usageLimits], ['dynamodb', [{ scope: 'run', window: 'day', maxRequests: 20, maxCostUsd: 0.5 }]]],
  ['circuitBreaker (imported)', (stack) => ({
    circuitBreaker: CircuitBreaker.fromTable(stack, 'Breaker', dynamodb.Table.fromTableArn(stack, 'BreakerTable', 'arn:aws:dynamodb:us-east-1:111122223333:table/shared-breaker'),
      { cacheTtl: Duration.seconds(12) }),
  }), (c) => [c.guards.breaker?.tableName, c.guards.breaker?.cacheTtlSeconds], ['shared-breaker', 12]],
];

describe('the construct → runtime contract', () => {
  describe.each<WorkflowKind>(['api', 'document', 'scheduled'])('%s workflow', (kind) => {
    test('the runtime reads the environment the construct writes, with the defaults both sides share', () => {
      const config = runtimeConfig(kind);

      expect(config.features[config.defaultFeature]).toEqual({ maxInputTokens: 50_000, maxOutputTokens: 1024 });
      expect(Object.keys(config.tiers)).toEqual(['simple', 'medium', 'complex']);
      expect(config.application).toBe('test-app');
      expect(config.guards).toEqual({ store: 'container', usageLimits: [] });
    });

    test.each(PROPS)('the prop %s reaches the runtime', (_name, props, read, expected) => {
      const withProp = runtimeConfig(kind, props);
      const without = runtimeConfig(kind);

      expect(read(withProp)).toEqual(expected);
      expect(read(without)).not.toEqual(expected);
    });

    if (kind === 'api') {
      test('the prop embeddingCache (an API workflow prop) reaches the runtime', () => {
        const embeddings = (stack: Stack): ApiWorkflowProps => ({ embeddingCache: new EmbeddingCache(stack, 'Embeddings', { dimensions: 512 }) });

        expect(runtimeConfig(kind, embeddings).embedding?.dimensions).toBe(512);
        expect(runtimeConfig(kind).embedding).toBeUndefined();
      });

      test('the prop deferTo (an API workflow prop) reaches the runtime', () => {
        const deferTo = (stack: Stack): ApiWorkflowProps => ({ deferTo: new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'support-chat' }, resultsPrefix: 'out/' }) });

        expect(readDeferralSettings(handlerEnvironment(kind, deferTo))).toEqual({ bucket: expect.any(String), resultsBucket: expect.any(String), resultsPrefix: 'out/' });
        expect(readDeferralSettings(handlerEnvironment(kind, () => ({})))).toBeUndefined();
      });
    }

    test('writes only variables of the contract, and the metrics namespace the dashboards read', () => {
      const environment = handlerEnvironment(kind, () => ({}));
      const contractNames: string[] = Object.values(ENV);

      expect(Object.keys(environment).filter((name) => !contractNames.includes(name))).toEqual([]);
      expect(environment[ENV.metricsNamespace]).toBe(METRIC_NAMESPACE);
    });
  });
});
