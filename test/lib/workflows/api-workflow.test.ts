import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiAuthorization, ApiWorkflow, ApiWorkflowProps, BedrockModel, EmbeddingCache, GenAiTags } from '../../../lib';
import { createTestStack, expectLeastPrivilegeBedrock, pipelineConfigOf, policyStatements, taggableResources, tagKeys, tagValue } from '../../support/test-app';

function apiTemplate(props: ApiWorkflowProps = {}): Template {
  const stack = createTestStack();
  new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...props });
  return Template.fromStack(stack);
}

describe('ApiWorkflow', () => {
  test('POST /invoke requires IAM auth and a validated JSON body by default', () => {
    const template = apiTemplate();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      ApiKeyRequired: false,
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ required: ['message'], properties: { message: { type: 'string', minLength: 1 } } }),
    });
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
  });

  test('the stage throttles, traces and writes JSON access logs', () => {
    apiTemplate({ throttlingRateLimit: 20, throttlingBurstLimit: 40 }).hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, LoggingLevel: 'ERROR' })],
    });
  });

  test('API keys come with a usage plan whose throttle and quota are the props', () => {
    const template = apiTemplate({ authorization: ApiAuthorization.API_KEY, quotaRequestsPerDay: 500, throttlingRateLimit: 5, throttlingBurstLimit: 10 });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'NONE', ApiKeyRequired: true });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 500, Period: 'DAY' },
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  test('CORS: the handler is told the allowed origins, since a proxy integration must answer with them itself', () => {
    apiTemplate({ allowedOrigins: ['https://support.example.com'] }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ALLOWED_ORIGINS: '["https://support.example.com"]' }) },
    });
  });

  test('CORS preflight allows only the configured origins', () => {
    apiTemplate({ allowedOrigins: ['https://support.example.com'] }).hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [Match.objectLike({ ResponseParameters: Match.objectLike({ 'method.response.header.Access-Control-Allow-Origin': "'https://support.example.com'" }) })],
      }),
    });
  });

  test('the handler has the GenAI defaults and invokes through the workflow profile only', () => {
    const template = apiTemplate({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), maxTokens: 300, maxInputTokens: 8000 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 256, Timeout: 29, TracingConfig: { Mode: 'Active' },
    });
    const config = pipelineConfigOf(template);
    expect(config.tiers).toEqual({ simple: { invokeId: expect.stringMatching(/^\$\{ChatProfile\w+\.InferenceProfileArn\}$/), modelId: 'amazon.nova-micro-v1:0' } });
    expect(config.defaultLimits).toEqual({ maxInputTokens: 8000, maxOutputTokens: 300 });
    expect(config.promptCaching).toBe(true);
    template.resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 1);
    expectLeastPrivilegeBedrock(template);
  });

  test('routes across Haiku, Sonnet and Opus by default, each through its own tagged profile', () => {
    const template = apiTemplate();
    const profiles = Object.values(template.findResources('AWS::Bedrock::ApplicationInferenceProfile'));
    expect(profiles.map((p) => tagValue(p, 'Model')).sort()).toEqual(['claude-haiku-4-5', 'claude-opus-4-5', 'claude-sonnet-4-5']);
    const config = pipelineConfigOf(template);
    expect(Object.keys(config.tiers).sort()).toEqual(['complex', 'medium', 'simple']);
    expect(config.tiers.complex.modelId).toBe('us.anthropic.claude-opus-4-5-20251101-v1:0');
    expectLeastPrivilegeBedrock(template);
  });

  test('uses the configured routing tiers', () => {
    const template = apiTemplate({ routing: { simple: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), medium: BedrockModel.foundationModel('amazon.nova-pro-v1:0') } });
    const config = pipelineConfigOf(template);
    expect(config.tiers.simple.modelId).toBe('amazon.nova-micro-v1:0');
    expect(config.tiers.medium.modelId).toBe('amazon.nova-pro-v1:0');
    expect(config.tiers.complex).toBeUndefined();
  });

  test('creates a response cache table with TTL and lets the handler read and write it only', () => {
    const template = apiTemplate();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(pipelineConfigOf(template).responseCache).toEqual({ tableName: expect.stringMatching(/^\$\{ChatResponseCache/), ttlSeconds: 3600, namespace: 'v1' });
    const dynamo = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((s) => s.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  test('serves POST /embed when given an embedding cache, allowed to invoke the embeddings model only', () => {
    const stack = createTestStack();
    const embeddingCache = new EmbeddingCache(stack, 'Embeddings', { dimensions: 512 });
    GenAiTags.apply(embeddingCache, { feature: 'rag' });
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, embeddingCache });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Method', 2);
    expect(pipelineConfigOf(template).embedding).toMatchObject({ modelId: 'amazon.titan-embed-text-v2:0', dimensions: 512, ttlSeconds: 2592000 });
    const embed = policyStatements(template).find((s) => JSON.stringify(s.Resource).includes('titan-embed'))!;
    expect(embed.Action).toEqual(['bedrock:InvokeModel']);
  });

  test('fails when both model and routing are set', () => {
    expect(() => apiTemplate({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), routing: { simple: BedrockModel.foundationModel('amazon.nova-lite-v1:0') } }))
      .toThrow(/TestStack\/Chat: both 'model' and 'routing' are set\. Fix/);
  });

  test("fails when the function's environment cannot fit Lambda's 4 KB, naming the size and the fix", () => {
    const modelPrices = Array.from({ length: 40 }, (_, i) => ({ modelId: `mistral.custom-model-number-${i}-v1:0`, inputPerMillion: 1.25, outputPerMillion: 3.75, cacheReadPerMillion: 0.125 }));
    expect(() => apiTemplate({ modelPrices })).toThrow(/TestStack\/Chat\/Handler: the function's environment would take about \d+ bytes once deployed; Lambda allows 4096\. Fix: shorten systemPrompt or modelPrices/);
  });

  test('a default workflow leaves room in the environment', () => {
    expect(() => apiTemplate({ systemPrompt: 'x'.repeat(2000) })).not.toThrow();
  });

  test('fails when a price override is negative', () => {
    expect(() => apiTemplate({ modelPrices: [{ modelId: 'amazon.nova-micro-v1:0', inputPerMillion: -1, outputPerMillion: 1 }] }))
      .toThrow(/modelPrices entry for 'amazon\.nova-micro-v1:0' is invalid/);
  });

  test('every taggable resource carries the required GenAI tags and InferenceType realtime', () => {
    const template = apiTemplate();
    // The account-wide API Gateway logging role is the stack's, shared by its APIs (see workflow-surface.test.ts).
    const resources = taggableResources(template).filter(([id]) => !id.startsWith('GenAiApiGatewayAccount'));
    expect(resources.length).toBeGreaterThan(8);
    for (const [, resource] of resources) {
      expect(tagKeys(resource)).toEqual(expect.arrayContaining(['Environment', 'Application', 'Feature', 'Team', 'CostCenter', 'InferenceType']));
      expect(tagValue(resource, 'Feature')).toBe('support-chat');
      expect(tagValue(resource, 'InferenceType')).toBe('realtime');
    }
  });

  test('fails synthesis when the workflow has no Feature tag, even without an enforced policy', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat');
    expect(() => Template.fromStack(stack)).toThrow(/required tag 'Feature' is missing or empty on \d+ resources: 'TestStack\/Chat\//);
  });

  test('fails when CORS allows any origin', () => {
    expect(() => apiTemplate({ allowedOrigins: ['*'] })).toThrow(/TestStack\/Chat: allowedOrigins contains '\*'.*Fix: list your front end's origins/);
  });

  test('fails when a quota is set without API keys', () => {
    expect(() => apiTemplate({ quotaRequestsPerDay: 100 })).toThrow(/TestStack\/Chat: quotaRequestsPerDay is set but authorization is IAM.*Fix: set authorization: ApiAuthorization\.API_KEY/);
  });

  test('fails when a throttle is not positive', () => {
    expect(() => apiTemplate({ throttlingRateLimit: 0 })).toThrow(/TestStack\/Chat: throttlingRateLimit is 0\. Fix: use a positive number/);
  });

  test('fails when maxTokens is out of range', () => {
    expect(() => apiTemplate({ maxTokens: 0 })).toThrow(/TestStack\/Chat: maxTokens is 0\. Fix: use a whole number from 1 to 64000/);
  });

  test('fails when the system prompt cannot fit the function environment', () => {
    expect(() => apiTemplate({ systemPrompt: 'x'.repeat(2001) })).toThrow(/systemPrompt is 2001 characters; at most 2000/);
  });

  test('matches the snapshot', () => {
    expect(apiTemplate().toJSON()).toMatchSnapshot();
  });
});
