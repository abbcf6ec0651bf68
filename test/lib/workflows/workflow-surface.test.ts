import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ApiWorkflow, ApiWorkflowProps, BedrockModel, CrossRegionGeography, DocumentWorkflow, EmbeddingCache,
  ResponseCacheTable, ScheduledWorkflow,
} from '../../../lib';
import { createTestStack, pipelineConfigOf, policyStatements, taggableResources, tagValue } from '../../support/test-app';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const OPUS = 'anthropic.claude-opus-4-5-20251101-v1:0';

function api(props: ApiWorkflowProps = {}, stack: Stack = createTestStack()): { stack: Stack; workflow: ApiWorkflow } {
  const workflow = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...props });
  return { stack, workflow };
}

/** Metrics rendered as alarms render them (math expressions included), resolved, in order; one synthesis. */
function renderedAlarms(stack: Stack, metrics: cloudwatch.IMetric[]): any[] {
  metrics.forEach((metric, i) => new cloudwatch.Alarm(stack, `Probe${i}Alarm`, { metric, threshold: 1, evaluationPeriods: 1 }));
  const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  return metrics.map((_, i) => (Object.entries(alarms).find(([id]) => id.startsWith(`Probe${i}Alarm`))![1] as any).Properties);
}

function renderedAlarm(stack: Stack, metric: cloudwatch.IMetric): any {
  return renderedAlarms(stack, [metric])[0];
}

function modelsOf(alarm: any): string[] {
  return alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'Model').Value);
}

describe('ApiWorkflow.grantInvoke', () => {
  test('allows execute-api:Invoke on POST /invoke of the deployed stage only', () => {
    const { stack, workflow } = api();
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    workflow.grantInvoke(caller);
    const statement = policyStatements(Template.fromStack(stack)).find((s) => s.Action.includes('execute-api:Invoke'))!;
    expect(statement.Action).toEqual(['execute-api:Invoke']);
    expect(statement.Resource).toHaveLength(1);
    expect(JSON.stringify(statement.Resource)).toMatch(/\{"Ref":"ChatDeploymentStagev1\w+"\},"\/POST\/invoke"/);
  });

  test('also allows POST /embed when the workflow serves it, and nothing else', () => {
    const stack = createTestStack();
    const embeddingCache = new EmbeddingCache(stack, 'Embeddings');
    const { workflow } = api({ embeddingCache }, stack);
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    workflow.grantInvoke(caller);
    const statement = policyStatements(Template.fromStack(stack)).find((s) => s.Action.includes('execute-api:Invoke'))!;
    const resources = JSON.stringify(statement.Resource);
    expect(statement.Resource).toHaveLength(2);
    expect(resources).toMatch(/"\/POST\/invoke"/);
    expect(resources).toMatch(/"\/POST\/embed"/);
    expect(resources).not.toContain('*');
  });
});

describe('API Gateway account settings', () => {
  test('two ApiWorkflows in one stack share one AWS::ApiGateway::Account and its role', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' } });
    new ApiWorkflow(stack, 'Search', { tags: { feature: 'search' } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    const roles = Object.values(template.findResources('AWS::IAM::Role'))
      .filter((r: any) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('apigateway.amazonaws.com'));
    expect(roles).toHaveLength(1);
    expect(JSON.stringify(roles[0])).toContain('AmazonAPIGatewayPushToCloudWatchLogs');
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    const account = Object.keys(template.findResources('AWS::ApiGateway::Account'))[0];
    for (const stage of Object.values(template.findResources('AWS::ApiGateway::Stage'))) {
      expect((stage as any).DependsOn).toContain(account);
    }
  });

  test('the shared logging role carries a Feature of its own', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' } });
    const role = taggableResources(Template.fromStack(stack)).find(([id]) => id.startsWith('GenAiApiGatewayAccount'))!;
    expect(tagValue(role[1], 'Feature')).toBe('api-gateway-logging');
  });

  test('cloudWatchRole false declares no account settings', () => {
    const { stack } = api({ cloudWatchRole: false });
    Template.fromStack(stack).resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('response caching', () => {
  test('responseCaching false creates no table and gives the handler no response-cache configuration', () => {
    const { stack, workflow } = api({ responseCaching: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(pipelineConfigOf(template).responseCache).toBeUndefined();
    expect(workflow.responseCache).toBeUndefined();
  });

  test('fails when responseCaching is false and a responseCache is given', () => {
    const stack = createTestStack();
    const responseCache = new ResponseCacheTable(stack, 'Shared');
    expect(() => api({ responseCaching: false, responseCache }, stack))
      .toThrow(/TestStack\/Chat: responseCaching is false but a responseCache is given\. Fix: remove responseCache/);
  });

  test('ResponseCacheTable.fromTable uses an existing table: nothing created, its name, TTL and namespace configured', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableName(stack, 'Answers', 'existing-answers');
    const responseCache = ResponseCacheTable.fromTable(stack, 'Cache', table, { ttl: Duration.hours(6), cacheNamespace: 'kb-7' });
    const { workflow } = api({ responseCache }, stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(pipelineConfigOf(template).responseCache).toEqual({ tableName: 'existing-answers', ttlSeconds: 21600, namespace: 'kb-7' });
    expect(workflow.responseCache).toBe(responseCache);
    const dynamo = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((s) => s.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  test('fails when an imported response cache has a TTL out of range', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableName(stack, 'Answers', 'existing-answers');
    expect(() => ResponseCacheTable.fromTable(stack, 'Cache', table, { ttl: Duration.minutes(5) }))
      .toThrow(/TestStack\/Cache: ttl is 300 seconds\. Fix: use between Duration\.hours\(1\) and Duration\.hours\(24\)/);
  });

  test('EmbeddingCache.fromTable uses an existing table and grants the embeddings model only', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableName(stack, 'Vectors', 'existing-vectors');
    const embeddingCache = EmbeddingCache.fromTable(stack, 'Embeddings', table, { dimensions: 256 });
    api({ embeddingCache }, stack);
    const template = Template.fromStack(stack);
    expect(pipelineConfigOf(template).embedding).toMatchObject({ tableName: 'existing-vectors', modelId: 'amazon.titan-embed-text-v2:0', dimensions: 256 });
    template.resourceCountIs('AWS::ApiGateway::Method', 2);
    const embed = policyStatements(template).find((s) => JSON.stringify(s.Resource).includes('titan-embed'))!;
    expect(embed.Action).toEqual(['bedrock:InvokeModel']);
  });

  test('fails when an imported embedding cache has dimensions Titan v2 does not offer', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableName(stack, 'Vectors', 'existing-vectors');
    expect(() => EmbeddingCache.fromTable(stack, 'Embeddings', table, { dimensions: 300 }))
      .toThrow(/TestStack\/Embeddings: dimensions is 300\. Fix: use 256, 512 or 1024 for Titan v2/);
  });
});

describe('routed models and the Model tag', () => {
  test('routedModels lists each routed base model once, cheapest tier first', () => {
    expect(api().workflow.routedModels).toEqual([HAIKU, SONNET, OPUS]);
    const haiku = BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU);
    expect(api({ routing: { simple: haiku, medium: haiku } }).workflow.routedModels).toEqual([HAIKU]);
  });

  test('the complex tier is configured with complexTier and written as the runtime tier complex', () => {
    const { stack } = api({ routing: { simple: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), complexTier: BedrockModel.foundationModel('amazon.nova-pro-v1:0') } });
    const config = pipelineConfigOf(Template.fromStack(stack));
    expect(Object.keys(config.tiers).sort()).toEqual(['complex', 'simple']);
    expect(config.tiers.complex.modelId).toBe('amazon.nova-pro-v1:0');
  });

  test('only the inference profiles carry Model and ModelProvider; the function names the routed models in its description', () => {
    const { stack } = api();
    const template = Template.fromStack(stack);
    for (const [, resource] of taggableResources(template)) {
      const isProfile = resource.Type === 'AWS::Bedrock::ApplicationInferenceProfile';
      expect(tagValue(resource, 'Model') !== undefined).toBe(isProfile);
      expect(tagValue(resource, 'ModelProvider') !== undefined).toBe(isProfile);
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'GenAI api workflow TestStack/Chat (models: claude-haiku-4-5, claude-sonnet-4-5, claude-opus-4-5)',
    });
  });
});

describe('model checks', () => {
  test('warns about a model the catalog does not know, naming it, the fallback price and modelPrices', () => {
    const { stack } = api({ model: BedrockModel.foundationModel('amazon.nova-mikro-v1:0') });
    Annotations.fromStack(stack).hasWarning('/TestStack/Chat', Match.stringLikeRegexp(
      "'amazon\\.nova-mikro-v1:0' is not in the built-in price catalog.*fallback price, that of an Opus-class model.*modelPrices: \\[\\{ modelId: 'amazon\\.nova-mikro-v1:0'.*genai-finops:unknown-model"));
  });

  test('gives no unknown-model warning once the model has a price', () => {
    const { stack } = api({
      model: BedrockModel.foundationModel('amazon.nova-mikro-v1:0'),
      modelPrices: [{ modelId: 'amazon.nova-mikro-v1:0', inputPerMillion: 0.035, outputPerMillion: 0.14 }],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('unknown-model'));
  });

  test("fails when maxTokens exceeds a routed model's maximum output, naming the value, the model and its maximum", () => {
    expect(() => api({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), maxTokens: 12000 }))
      .toThrow(/TestStack\/Chat: maxTokens is 12000, but 'amazon\.nova-micro-v1:0' produces at most 10000 output tokens per response.*Fix: set maxTokens to 10000 or less/);
  });

  test('accepts maxTokens up to the smallest maximum of the routed models', () => {
    expect(() => api({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), maxTokens: 10000 })).not.toThrow();
  });

  test('fails when modelPrices lists a model id twice', () => {
    expect(() => api({
      modelPrices: [
        { modelId: HAIKU, inputPerMillion: 0.8, outputPerMillion: 4 },
        { modelId: HAIKU, inputPerMillion: 0.9, outputPerMillion: 4.5 },
      ],
    })).toThrow(new RegExp(`TestStack/Chat: modelPrices lists '${HAIKU.replace(/\./g, '\\.')}' more than once.*Fix: keep a single entry`));
  });

  test('writes modelPrices as the runtime map keyed by model id, fields not given left out', () => {
    const { stack } = api({ modelPrices: [{ modelId: HAIKU, inputPerMillion: 0.8, outputPerMillion: 4 }] });
    expect(pipelineConfigOf(Template.fromStack(stack)).priceOverrides).toEqual({ [HAIKU]: { inputPerMillion: 0.8, outputPerMillion: 4 } });
  });
});

describe('workflow metrics', () => {
  test('metricCostUsd sums the routed models under the workflow tags, Sum over 5 minutes', () => {
    const { stack, workflow } = api();
    const alarm = renderedAlarm(stack, workflow.metricCostUsd());
    expect(alarm.Metrics).toHaveLength(4);
    const expression = alarm.Metrics.find((m: any) => m.Expression);
    expect(expression.Expression).toBe('FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0)');
    const stats = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat);
    expect(stats.map((s: any) => s.Metric.Dimensions.find((d: any) => d.Name === 'Model').Value)).toEqual([HAIKU, SONNET, OPUS]);
    for (const stat of stats) {
      expect(stat).toMatchObject({ Stat: 'Sum', Period: 300, Metric: { Namespace: 'GenAI/FinOps', MetricName: 'CostUSD' } });
      expect(stat.Metric.Dimensions).toEqual(expect.arrayContaining([
        { Name: 'Application', Value: 'test-app' }, { Name: 'Feature', Value: 'support-chat' },
      ]));
    }
  });

  test('metricRequests and metricRejectedRequests include records that reached no model', () => {
    const { stack, workflow } = api({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0') });
    for (const alarm of renderedAlarms(stack, [workflow.metricRequests(), workflow.metricRejectedRequests()])) {
      expect(modelsOf(alarm)).toEqual(['amazon.nova-micro-v1:0', 'none']);
    }
  });

  test('one model gives a plain metric; props override statistic and period; latency defaults to p50', () => {
    const { stack, workflow } = api({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0') });
    const [output, latency] = renderedAlarms(stack, [workflow.metricOutputTokens({ period: Duration.hours(1), statistic: 'Average' }), workflow.metricLatency()]);
    expect(output).toMatchObject({ MetricName: 'OutputTokens', Namespace: 'GenAI/FinOps', Statistic: 'Average', Period: 3600 });
    expect(latency).toMatchObject({ MetricName: 'LatencyMs', ExtendedStatistic: 'p50', Period: 300 });
  });

  test('every metric method reads the contract name it says', () => {
    const { stack, workflow } = api({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0') });
    const names: Array<[cloudwatch.IMetric, string]> = [
      [workflow.metricFailedRequests(), 'FailedRequests'], [workflow.metricInputTokens(), 'InputTokens'],
      [workflow.metricCacheReadTokens(), 'CacheReadInputTokens'], [workflow.metricCacheWriteTokens(), 'CacheWriteInputTokens'],
      [workflow.metricResponseCacheHits(), 'ResponseCacheHits'], [workflow.metricResponseCacheMisses(), 'ResponseCacheMisses'],
    ];
    const alarms = renderedAlarms(stack, names.map(([metric]) => metric));
    for (const [i, [, name]] of names.entries()) {
      const alarm = alarms[i];
      const metricNames = alarm.MetricName ? [alarm.MetricName] : alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName);
      expect(new Set(metricNames)).toEqual(new Set([name]));
    }
  });

  test('cost and input tokens include the embeddings model', () => {
    const stack = createTestStack();
    const embeddingCache = new EmbeddingCache(stack, 'Embeddings');
    const { workflow } = api({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), embeddingCache }, stack);
    expect(modelsOf(renderedAlarm(stack, workflow.metricInputTokens()))).toEqual(['amazon.nova-micro-v1:0', 'amazon.titan-embed-text-v2:0']);
  });

  test('the document and scheduled workflows share the same metrics, dimensioned by their own Feature', () => {
    const stack = createTestStack();
    const model = BedrockModel.foundationModel('amazon.nova-micro-v1:0');
    const docs = new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'contract-review' }, model });
    const nightly = new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'nightly' }, model, batchInference: false });
    const [docsCost, nightlyCost] = renderedAlarms(stack, [docs.metricCostUsd(), nightly.metricCostUsd()]);
    expect(docsCost.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Feature', Value: 'contract-review' }]));
    expect(nightlyCost.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Feature', Value: 'nightly' }]));
    expect(docs.routedModels).toEqual(['amazon.nova-micro-v1:0']);
  });
});

