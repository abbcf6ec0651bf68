import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApiAuthorization, ApiWorkflow, ApiWorkflowProps, GenAiTags, NearLimitAction, ScheduledWorkflow, UsageLedger, UsageScope, UsageWindow } from '../../../lib';
import { evaluateAccess } from '../../../lib/finops-checks/policy-evaluator';
import { environmentOf, identityPoliciesOf } from '../../../lib/finops-checks/signal-paths';
import { templateResolver } from '../../../lib/finops-checks/template-resolver';
import { readDeferralSettings } from '../../../lambda/api/deferred-store';
import { ENV } from '../../../shared/contract';
import { simulate } from '../../support/policy-simulator';
import { createTestStack } from '../../support/test-app';

const TENANT_MONTH_USD = [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: 50 }];
const DEFER_NEAR_LIMIT: Partial<ApiWorkflowProps> = {
  usageLimits: TENANT_MONTH_USD,
  nearLimit: { action: NearLimitAction.DEFER },
};

function deferringApi(props: Partial<ApiWorkflowProps> = {}): { stack: Stack; api: ApiWorkflow; batch: ScheduledWorkflow } {
  const stack = createTestStack();
  const usageLedger = new UsageLedger(stack, 'Ledger');
  GenAiTags.apply(usageLedger, { feature: 'usage-ledger' });
  const batch = new ScheduledWorkflow(stack, 'Batch', { tags: { feature: 'support-chat' }, resultsPrefix: 'out/', usageLimits: TENANT_MONTH_USD, usageLedger });
  const api = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...DEFER_NEAR_LIMIT, usageLedger, deferTo: batch, ...props });
  return { stack, api, batch };
}

/** The API handler: its environment (resolved as deployed) and its role's policies. */
function apiHandler(template: any) {
  const r = templateResolver(template, environmentOf(template));
  const [, fn] = Object.entries<any>(template.Resources)
    .find(([id, res]) => res.Type === 'AWS::Lambda::Function' && id.startsWith('Chat') && res.Properties.Environment?.Variables?.GENAI_PIPELINE_CONFIG)!;
  const env = Object.fromEntries(Object.entries<unknown>(fn.Properties.Environment.Variables).map(([k, v]) => [k, String(r.resolve(v))]));
  const roleId = r.logicalIdOf(fn.Properties.Role)!;
  const bucket = (prefix: string) => {
    const id = Object.keys(template.Resources).find((k) => template.Resources[k].Type === 'AWS::S3::Bucket' && k.startsWith(prefix))!;
    return { name: r.refOf(id), arn: r.refOf(id, 'Arn') };
  };
  return { env, principal: String(r.refOf(roleId, 'Arn')), identityPolicies: identityPoliciesOf(r, template, roleId), input: bucket('BatchInputBucket'), results: bucket('BatchResultsBucket'), account: r.env.account };
}

describe('ApiWorkflow deferTo', () => {
  test('fails when a defer policy has nowhere to defer to (no deferTo)', () => {
    const stack = createTestStack();
    expect(() => new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...DEFER_NEAR_LIMIT }))
      .toThrow(/Chat: nearLimit\.action is NearLimitAction\.DEFER, but this workflow cannot defer work.*Fix: give the ApiWorkflow deferTo/);
  });

  test('fails when the scheduled workflow counts on another ledger, or other limits: deferring would escape the budget', () => {
    const other = createTestStack();
    const ledger = new UsageLedger(other, 'Ledger');
    GenAiTags.apply(ledger, { feature: 'usage-ledger' });
    const unledgered = new ScheduledWorkflow(other, 'Batch', { tags: { feature: 'support-chat' }, usageLimits: TENANT_MONTH_USD });
    new ApiWorkflow(other, 'Chat', { tags: { feature: 'support-chat' }, ...DEFER_NEAR_LIMIT, usageLedger: ledger, deferTo: unledgered });
    expect(() => Template.fromStack(other)).toThrow(/Chat: deferTo is .*Batch, which counts its usage on no shared ledger \(per-container counts\), but this API counts on the ledger .*Ledger.*Fix: give the scheduled workflow the same usageLedger and usageLimits/);

    const stack = createTestStack();
    const looser = new ScheduledWorkflow(stack, 'Batch', { tags: { feature: 'support-chat' }, usageLimits: [{ ...TENANT_MONTH_USD[0], maxCostUsd: 500 }] });
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...DEFER_NEAR_LIMIT, deferTo: looser });
    expect(() => Template.fromStack(stack)).toThrow(/Chat: deferTo is .*Batch, whose usageLimits differ from this API's/);
  });

  test('fails when a defer policy has no usageLedger: a deferral\'s reservation must outlive the API\'s container', () => {
    const stack = createTestStack();
    const batch = new ScheduledWorkflow(stack, 'Batch', { tags: { feature: 'support-chat' }, usageLimits: TENANT_MONTH_USD });
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...DEFER_NEAR_LIMIT, deferTo: batch });
    expect(() => Template.fromStack(stack))
      .toThrow(/TestStack\/Chat: nearLimit\.action is NearLimitAction\.DEFER without a usageLedger.*Fix: give this API and its deferTo the same usageLedger, or use another action/);
  });

  test('fails when the scheduled workflow has another feature, which would reject every deferred call', () => {
    const stack = createTestStack();
    const batch = new ScheduledWorkflow(stack, 'Batch', { tags: { feature: 'nightly-reports' }, usageLimits: TENANT_MONTH_USD });
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, ...DEFER_NEAR_LIMIT, deferTo: batch });
    expect(() => Template.fromStack(stack))
      .toThrow(/Chat: deferTo is TestStack\/Batch, whose feature is 'nightly-reports', but this API's is 'support-chat'.*Fix: give both workflows the same tags\.feature/);
  });

  test('the handler reads the scheduled workflow\'s buckets and results prefix from the environment the construct writes', () => {
    const handler = apiHandler(Template.fromStack(deferringApi().stack).toJSON());
    expect(readDeferralSettings(handler.env)).toEqual({ bucket: handler.input.name, resultsBucket: handler.results.name, resultsPrefix: 'out/' });
    // The pipeline configuration carries the policy the handler applies.
    expect(JSON.parse(handler.env[ENV.pipelineConfig]).defaultLimits.nearLimit).toMatchObject({ action: 'defer', atShare: 0.8, atLimit: 'refuse' });
  });

  test('without deferTo the handler has no deferral settings and no /deferred route', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
    const template = Template.fromStack(stack);
    expect(readDeferralSettings(apiHandler(template.toJSON()).env)).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::ApiGateway::Resource', { PathPart: 'deferred' }, 0);
  });

  test('GET /deferred/{day}/{requestId} has the authorization of POST /invoke and requires both path parameters', () => {
    for (const authorization of [ApiAuthorization.IAM, ApiAuthorization.API_KEY]) {
      const template = Template.fromStack(deferringApi({ authorization }).stack);
      const [requestIdResource] = Object.keys(template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: '{requestId}' } }));
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'GET',
        ResourceId: { Ref: requestIdResource },
        AuthorizationType: authorization === ApiAuthorization.IAM ? 'AWS_IAM' : 'NONE',
        ApiKeyRequired: authorization === ApiAuthorization.API_KEY,
        RequestParameters: { 'method.request.path.day': true, 'method.request.path.requestId': true },
      });
    }
  });

  test('grantInvoke lets a caller poll any deferred result path of the stage, and call nothing else new', () => {
    const { stack, api } = deferringApi();
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantInvoke(caller);
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }] } })) as any[];
    const methods = (policy.Properties.PolicyDocument.Statement[0].Resource as any[]).map((arn) => arn['Fn::Join'][1].at(-1));
    // Of the deployed stage (the reference before it): a path parameter is any one segment of the called path.
    expect(methods).toEqual(['/POST/invoke', '/GET/deferred/*/*']);
  });

  describe('the API role over the scheduled workflow\'s buckets (IAM policy simulator)', () => {
    const handler = apiHandler(Template.fromStack(deferringApi().stack).toJSON());
    const decide = async (action: string, resource: string, context: Record<string, string> = {}) => {
      const request = { principal: handler.principal, action, resource, resourceAccount: handler.account, context: { 'aws:SecureTransport': 'true', ...context } };
      const decision = await simulate(request, { identityPolicies: handler.identityPolicies });
      expect(evaluateAccess(request, { identityPolicies: handler.identityPolicies })).toBe(decision);
      return decision;
    };
    const object = (bucket: { arn: string }, key: string) => `${bucket.arn}/${key}`;

    test.each([
      ['writes a deferred record', 's3:PutObject', 'input', 'deferred/2036-03-15/c6af9ac6.json', 'Allowed'],
      ['reads a deferred record back (its owner)', 's3:GetObject', 'input', 'deferred/2036-03-15/c6af9ac6.json', 'Allowed'],
      ['reads a deferred result', 's3:GetObject', 'results', 'out/2036-03-15/deferred-c6af9ac6.json', 'Allowed'],
      ['cannot write an uploader\'s record', 's3:PutObject', 'input', 'records/2036-03-15/invoice.json', 'ImplicitlyDenied'],
      ['cannot read an uploader\'s record', 's3:GetObject', 'input', 'records/2036-03-15/invoice.json', 'ImplicitlyDenied'],
      ['cannot read another record\'s result', 's3:GetObject', 'results', 'out/2036-03-15/invoice.json.json', 'ImplicitlyDenied'],
      ['cannot write a result', 's3:PutObject', 'results', 'out/2036-03-15/deferred-c6af9ac6.json', 'ImplicitlyDenied'],
      ['cannot delete a record', 's3:DeleteObject', 'input', 'deferred/2036-03-15/c6af9ac6.json', 'ImplicitlyDenied'],
    ] as const)('%s', async (_name, action, which, key, expected) => {
      expect(await decide(action, object(handler[which], key))).toBe(expected);
    });

    test('lists only the keys it reads, so that a missing one is a 404, not a 403', async () => {
      expect(await decide('s3:ListBucket', handler.input.arn, { 's3:prefix': 'deferred/2036-03-15/c6af9ac6.json' })).toBe('Allowed');
      expect(await decide('s3:ListBucket', handler.results.arn, { 's3:prefix': 'out/2036-03-15/deferred-c6af9ac6.json' })).toBe('Allowed');
      expect(await decide('s3:ListBucket', handler.input.arn, { 's3:prefix': 'records/' })).toBe('ImplicitlyDenied');
      expect(await decide('s3:ListBucket', handler.results.arn, { 's3:prefix': 'out/' })).toBe('ImplicitlyDenied');
    });
  });
});
