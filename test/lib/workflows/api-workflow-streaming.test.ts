import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, ApiWorkflowProps, BedrockModel, CrossRegionGeography, EmbeddingCache } from '../../../lib';
import { evaluateAccess } from '../../../lib/finops-checks/policy-evaluator';
import { environmentOf, identityPoliciesOf } from '../../../lib/finops-checks/signal-paths';
import { templateResolver } from '../../../lib/finops-checks/template-resolver';
import { readPipelineConfig } from '../../../lambda/pipeline/config';
import { ENV, PipelineConfigDocument } from '../../../shared/contract';
import { resolveIntrinsics } from '../../support/intrinsics';
import { simulate } from '../../support/policy-simulator';
import { createTestApp, createTestStack, expectLeastPrivilegeBedrock, policyStatements } from '../../support/test-app';

const STREAM_ACTION = 'bedrock:InvokeModelWithResponseStream';
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

function apiTemplate(props: ApiWorkflowProps = {}): Template {
  const stack = createTestStack();
  new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...props });
  return Template.fromStack(stack);
}

/** The integration of the `POST` method on `path`, with its URI flattened to one string. */
function integrationOf(template: Template, path: string): { uri: string; integration: any } {
  const resources = template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: path } });
  const [resourceId] = Object.keys(resources);
  const [method] = Object.values(template.findResources('AWS::ApiGateway::Method', {
    Properties: { HttpMethod: 'POST', ResourceId: { Ref: resourceId } },
  })) as any[];
  return { integration: method.Properties.Integration, uri: JSON.stringify(method.Properties.Integration.Uri) };
}

/** Every action a template's roles are allowed, once each. */
function allowedActions(template: Template): string[] {
  return [...new Set(policyStatements(template).flatMap((s) => s.Action))];
}

describe('ApiWorkflow with responseStreaming', () => {
  test('integrates POST /invoke and POST /embed with the response-streaming-invocations URI in STREAM mode', () => {
    // Given a streaming workflow that also serves embeddings
    const stack = createTestStack();
    const embeddingCache = new EmbeddingCache(stack, 'Embeddings');
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, responseStreaming: true, embeddingCache });
    const template = Template.fromStack(stack);

    // Then both routes invoke the function with InvokeWithResponseStream, for as long as the function may run
    for (const path of ['invoke', 'embed']) {
      const { integration, uri } = integrationOf(template, path);
      expect(integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', ResponseTransferMode: 'STREAM', TimeoutInMillis: 300_000 });
      expect(uri).toMatch(/:lambda:path\/2021-11-15\/functions\/"?,?\{"Fn::GetAtt":\["ChatHandler\w+","Arn"\]\},"\/response-streaming-invocations"\]/);
    }
    // And the function runs the streaming bundle, with the integration's timeout
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      Description: Match.stringLikeRegexp('^GenAI api-stream workflow TestStack/Chat'),
    });
  });

  test('API Gateway may invoke the function (lambda:InvokeFunction, which InvokeWithResponseStream requires) from each method only', () => {
    const template = apiTemplate({ responseStreaming: true });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')) as any[];
    // One for the deployed stage and one for the console's test invoke, on POST /invoke
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) {
      expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      expect(JSON.stringify(permission.Properties.SourceArn)).toMatch(/\/POST\/invoke"/);
    }
  });

  test('a streaming handler may call InvokeModelWithResponseStream through its profiles only; a buffered one may not at all', () => {
    // Given the same routing, streamed and buffered
    const streaming = apiTemplate({ responseStreaming: true, model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) });
    const buffered = apiTemplate({ model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) });

    // Then the streaming role holds the streaming action beside InvokeModel on exactly the invoke resources, never `*`
    const invokeStatements = policyStatements(streaming).filter((s) => s.Action.includes('bedrock:InvokeModel') && s.Action.length > 1);
    expect(invokeStatements.length).toBeGreaterThan(0);
    for (const statement of invokeStatements) expect(statement.Action.sort()).toEqual(['bedrock:InvokeModel', STREAM_ACTION]);
    const streamResources = policyStatements(streaming).filter((s) => s.Action.includes(STREAM_ACTION)).flatMap((s) => s.Resource.map((r) => JSON.stringify(r)));
    expect(streamResources.some((r) => /ChatProfile\w+","InferenceProfileArn"/.test(r))).toBe(true);
    expect(streamResources.some((r) => /inference-profile\/us\.anthropic\.claude-haiku/.test(r))).toBe(true);
    expect(streamResources.some((r) => /foundation-model\/anthropic\.claude-haiku/.test(r))).toBe(true);
    expect(streamResources).not.toContain('"*"');
    expect(allowedActions(streaming)).not.toContain('bedrock:*');
    expectLeastPrivilegeBedrock(streaming);

    // And the buffered role calls Converse only
    expect(allowedActions(buffered)).toContain('bedrock:InvokeModel');
    expect(allowedActions(buffered)).not.toContain(STREAM_ACTION);
  });

  test('the IAM policy simulator allows the streaming role InvokeModelWithResponseStream on its profile, and not on another workflow\'s', async () => {
    // Given a streaming chat and a buffered one in the same account
    const stack = new Stack(createTestApp(), 'Streams', { env: { account: ACCOUNT, region: REGION } });
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, responseStreaming: true, model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) });
    new ApiWorkflow(stack, 'Faq', { tags: { feature: 'faq' }, model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) });
    const template = Template.fromStack(stack).toJSON();
    const chat = handlerOf(template, 'ChatHandler');
    const faq = handlerOf(template, 'FaqHandler');
    const chatProfile = chat.config.tiers.simple!.invokeId;
    const faqProfile = faq.config.tiers.simple!.invokeId;
    expect(chatProfile).not.toBe(faqProfile);

    // Then the streaming role may stream through its own profile, not through the other workflow's
    expect(await mayStream(chat, chatProfile)).toBe('Allowed');
    expect(await mayStream(chat, faqProfile)).not.toBe('Allowed');
    // And the foundation model only through its own profile (the condition bedrock:InferenceProfileArn)
    expect(await mayStream(chat, `arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`, chatProfile)).toBe('Allowed');
    expect(await mayStream(chat, `arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`, faqProfile)).not.toBe('Allowed');
    // And the buffered role may not stream even through its own profile
    expect(await mayStream(faq, faqProfile)).not.toBe('Allowed');
  });

  test('a longer timeout is the function\'s and the integration\'s', () => {
    const template = apiTemplate({ responseStreaming: true, timeout: Duration.minutes(12) });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 720 });
    expect(integrationOf(template, 'invoke').integration.TimeoutInMillis).toBe(720_000);
  });

  test('fails when the timeout is longer than API Gateway streams a response, naming the value and the fix', () => {
    expect(() => apiTemplate({ responseStreaming: true, timeout: Duration.minutes(16) }))
      .toThrow(/TestStack\/Chat: timeout is 960 seconds, but API Gateway streams a response for at most 900 seconds \(15 minutes\).*Fix: use Duration\.minutes\(15\) or less/);
  });

  test('warns when a buffered API has a timeout API Gateway never waits for, and points at responseStreaming', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, timeout: Duration.seconds(60) });
    Annotations.fromStack(stack).hasWarning('/TestStack/Chat', Match.stringLikeRegexp('timeout is 60 seconds, but API Gateway answers a buffered request with 504 after 29 seconds.*responseStreaming: true'));
  });

  test('buffered stays the default: the classic invocations URI, no transfer mode, 29 seconds', () => {
    const template = apiTemplate();
    const { integration, uri } = integrationOf(template, 'invoke');
    expect(uri).toMatch(/\/invocations"\]/);
    expect(integration.ResponseTransferMode).toBeUndefined();
    expect(integration.TimeoutInMillis).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 29, Description: Match.stringLikeRegexp('^GenAI api workflow') });
  });

  test('the streaming handler gets the environment the buffered one gets, and the runtime reads it alike', () => {
    // Given the same props, streamed and buffered
    const props: ApiWorkflowProps = { allowedOrigins: ['https://support.example.com'], maxTokens: 700 };
    const handlerVariables = (template: Template) => (Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { GENAI_PIPELINE_CONFIG: Match.anyValue() } } },
    }))[0] as any).Properties.Environment.Variables;
    const streamed = handlerVariables(apiTemplate({ ...props, responseStreaming: true }));

    // Then the configuration is one: the streaming bundle runs the same pipeline from the same contract
    expect(streamed).toEqual(handlerVariables(apiTemplate(props)));
    const config = readPipelineConfig(resolveIntrinsics(streamed) as Record<string, string>);
    expect(config.features[config.defaultFeature].maxOutputTokens).toBe(700);
    expect(streamed[ENV.allowedOrigins]).toBe('["https://support.example.com"]');
  });

  test('matches the snapshot', () => {
    expect(apiTemplate({ responseStreaming: true, allowedOrigins: ['https://support.example.com'] }).toJSON()).toMatchSnapshot();
  });
});

/** The handler's role and its pipeline configuration, resolved from the synthesized template. */
function handlerOf(template: any, idPrefix: string) {
  const r = templateResolver(template, environmentOf(template));
  const [, fn] = Object.entries<any>(template.Resources)
    .find(([id, res]) => res.Type === 'AWS::Lambda::Function' && id.startsWith(idPrefix) && res.Properties.Environment?.Variables?.GENAI_PIPELINE_CONFIG)!;
  const config = JSON.parse(String(r.resolve(fn.Properties.Environment.Variables.GENAI_PIPELINE_CONFIG))) as PipelineConfigDocument;
  const roleId = r.logicalIdOf(fn.Properties.Role)!;
  return { config, principal: String(r.refOf(roleId, 'Arn')), identityPolicies: identityPoliciesOf(r, template, roleId) };
}

/** May the role stream from `resource` (through `viaProfile`, as Bedrock reports it)? The simulator decides; the library's evaluator agrees. */
async function mayStream(handler: ReturnType<typeof handlerOf>, resource: string, viaProfile?: string): Promise<string> {
  const request = {
    principal: handler.principal,
    action: STREAM_ACTION,
    resource,
    resourceAccount: ACCOUNT,
    context: { 'aws:SecureTransport': 'true', ...(viaProfile ? { 'bedrock:InferenceProfileArn': viaProfile } : {}) },
  };
  const decision = await simulate(request, { identityPolicies: handler.identityPolicies });
  expect(evaluateAccess(request, { identityPolicies: handler.identityPolicies })).toBe(decision);
  return decision;
}
