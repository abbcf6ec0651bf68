import { ENV } from '../../../shared/contract';
import { readPipelineConfig } from '../../../lambda/pipeline/config';
import { DemoDeployment } from '../../../packages/local/src/demo/deployment';
import { BREAKER_FEATURES, FEATURE_ALARM, GLOBAL_ALARM, TENANT_TOKEN_LIMIT, TENANT_USD_LIMIT } from '../../../packages/local/src/demo/guardrail-settings';
import { NAIVE_MAX_OUTPUT_TOKENS, NAIVE_MODEL, SCENARIOS } from '../../../packages/local/src/demo/scenarios';

// The demo's functions take their configuration from a synthesized stack of the library's constructs: what each run
// configures is what the constructs write for the props that pull its levers, read back by the runtime's reader.
let deployment: DemoDeployment;

beforeAll(() => {
  deployment = DemoDeployment.synthesize();
}, 120_000);

describe('the demo stack', () => {
  test('has one API workflow per lever run, and the guardrails\' workflows and breaker', () => {
    expect(Object.keys(deployment.ids.scenarios)).toEqual(SCENARIOS.map((s) => s.id));
    expect(Object.keys(deployment.ids.breakerFeatures)).toEqual(Object.keys(BREAKER_FEATURES));
    const types = [...Object.values(deployment.ids.scenarios), deployment.ids.quota, deployment.ids.breaker]
      .map((id) => deployment.ids.template.Resources[id].Type);
    expect(new Set(types)).toEqual(new Set(['AWS::Lambda::Function']));
  });

  test.each(SCENARIOS.map((s) => [s.id, s.levers] as const))('run %s: its levers are in the configuration the construct writes', (id, levers) => {
    const config = readPipelineConfig({ ...deployment.function(deployment.ids.scenarios[id]).environment });
    const tiers = Object.values(config.tiers).map((t) => t!.modelId);
    expect(tiers).toEqual(levers.routing ? expect.arrayContaining([expect.stringContaining('haiku'), expect.stringContaining('sonnet'), expect.stringContaining('opus')]) : [`us.${NAIVE_MODEL}`]);
    expect(config.promptCaching).toBe(levers.promptCaching);
    expect(config.responseCache !== undefined).toBe(levers.responseCache);
    expect(config.features[config.defaultFeature].maxOutputTokens).toBe(levers.outputCap ? 1024 : NAIVE_MAX_OUTPUT_TOKENS);
    // Every tier is invoked through an application inference profile, whose local ARN the simulator is told about.
    for (const tier of Object.values(config.tiers)) expect(deployment.modelAliases()[tier!.invokeId]).toBe(tier!.modelId);
  });

  test('each lever run with the response cache has a table of its own, named by the template', () => {
    const tables = SCENARIOS.filter((s) => s.levers.responseCache)
      .map((s) => deployment.pipelineConfig(deployment.ids.scenarios[s.id]).responseCache!.tableName);
    expect(new Set(tables).size).toBe(tables.length);
    for (const table of tables) expect(deployment.ids.template.Resources[table]?.Type).toBe('AWS::DynamoDB::Table');
  });

  test('the quota workflow counts in the usage ledger, with the tenant\'s daily token and USD limit', () => {
    const guards = deployment.pipelineConfig(deployment.ids.quota).guards!;
    expect(guards.store).toBe('dynamodb');
    expect(deployment.ids.template.Resources[guards.ledgerTableName!]?.Type).toBe('AWS::DynamoDB::Table');
    expect(guards.usageLimits).toEqual([{ scope: 'tenant', window: 'day', maxTokens: TENANT_TOKEN_LIMIT, maxCostUsd: TENANT_USD_LIMIT }]);
  });

  test('each breaker feature has its policy, and the breaker acts on the two alarms, in one state table', () => {
    const breakerConfig = JSON.parse(deployment.function(deployment.ids.breaker).environment[ENV.breakerConfig]);
    expect(breakerConfig.alarms).toEqual([{ name: FEATURE_ALARM, features: ['support-chat'] }, { name: GLOBAL_ALARM, features: ['*'] }]);
    for (const [feature, policy] of Object.entries(BREAKER_FEATURES)) {
      const env = deployment.function(deployment.ids.breakerFeatures[feature]).environment;
      const breaker = JSON.parse(env[ENV.pipelineConfig]).guards.breaker;
      expect({ feature, policy: breaker.defaultFeature, ttl: breaker.cacheTtlSeconds, table: breaker.tableName })
        .toEqual({ feature, policy, ttl: 0, table: breakerConfig.tableName });
      expect(JSON.parse(env[ENV.tags]).Feature).toBe(feature);
    }
  });
});
