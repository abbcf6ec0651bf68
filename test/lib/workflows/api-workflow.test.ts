import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiAuthorization, ApiWorkflow, ApiWorkflowProps, BedrockModel } from '../../../lib';
import { createTestStack, expectLeastPrivilegeBedrock, taggableResources, tagKeys, tagValue } from '../../support/test-app';

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

  test('CORS preflight allows only the configured origins', () => {
    apiTemplate({ allowedOrigins: ['https://support.example.com'] }).hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [Match.objectLike({ ResponseParameters: Match.objectLike({ 'method.response.header.Access-Control-Allow-Origin': "'https://support.example.com'" }) })],
      }),
    });
  });

  test('the handler has the GenAI defaults and invokes through the workflow profile only', () => {
    const template = apiTemplate({ model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'), maxTokens: 300 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 256, Timeout: 29, TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({
        GENAI_MODEL_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatProfile'), 'InferenceProfileArn'] },
        GENAI_BASE_MODEL_ID: 'amazon.nova-micro-v1:0',
        GENAI_MAX_TOKENS: '300',
      }) },
    });
    expectLeastPrivilegeBedrock(template);
  });

  test('every taggable resource carries the required GenAI tags and InferenceType realtime', () => {
    const template = apiTemplate();
    const resources = taggableResources(template);
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
