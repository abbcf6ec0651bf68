import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ApiWorkflow, GenAiTags, NearLimitAction, ScheduledWorkflow, ScheduledWorkflowProps, UsageLedger, UsageScope, UsageWindow } from '../../../lib';
import { evaluateAccess } from '../../../lib/finops-checks/policy-evaluator';
import { environmentOf, identityPoliciesOf } from '../../../lib/finops-checks/signal-paths';
import { templateResolver } from '../../../lib/finops-checks/template-resolver';
import { readScheduleSettings } from '../../../lambda/scheduled/settings';
import { ENV } from '../../../shared/contract';
import { simulate } from '../../support/policy-simulator';
import { createTestStack } from '../../support/test-app';

/*
 * Who may write the deferred records a scheduled run trusts (`deferred/`, each run as the tenant it names): the
 * deferring APIs' roles only. A scheduled workflow no API defers to never reads there; one an API defers to denies
 * everyone else on its own input bucket, and warns about a bucket it was given.
 */

const LIMITS = [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: 50 }];

// The ledger both workflows count on (a deferral is reserved by the API and settled by the scheduled run).
function ledgerOf(stack: Stack): UsageLedger {
  const found = stack.node.tryFindChild('Ledger') as UsageLedger | undefined;
  if (found) return found;
  const ledger = new UsageLedger(stack, 'Ledger');
  GenAiTags.apply(ledger, { feature: 'usage-ledger' });
  return ledger;
}

function scheduled(stack: Stack, props: Partial<ScheduledWorkflowProps> = {}): ScheduledWorkflow {
  return new ScheduledWorkflow(stack, 'Batch', { tags: { feature: 'support-chat' }, usageLimits: LIMITS, usageLedger: ledgerOf(stack), batchInference: false, ...props });
}

function deferringApi(stack: Stack, id: string, target: ScheduledWorkflow): ApiWorkflow {
  return new ApiWorkflow(stack, id, {
    tags: { feature: 'support-chat' }, usageLimits: LIMITS, usageLedger: target._usageAccounting.ledger as UsageLedger,
    nearLimit: { action: NearLimitAction.DEFER }, deferTo: target,
  });
}

/** The scheduled handler's environment, resolved as deployed. */
function scheduledEnvironment(template: any): Record<string, string> {
  const r = templateResolver(template, environmentOf(template));
  const [, fn] = Object.entries<any>(template.Resources)
    .find(([id, res]) => res.Type === 'AWS::Lambda::Function' && id.startsWith('Batch') && res.Properties.Environment?.Variables?.INPUT_BUCKET)!;
  return Object.fromEntries(Object.entries<unknown>(fn.Properties.Environment.Variables).map(([k, v]) => [k, String(r.resolve(v))]));
}

/** The deny statements of the input bucket's policy that name `deferred/`. */
function deferredDenies(template: Template): any[] {
  return Object.values(template.findResources('AWS::S3::BucketPolicy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => s.Effect === 'Deny' && JSON.stringify(s.Resource).includes('/deferred/*'));
}

describe('ScheduledWorkflow without a deferring API', () => {
  test('the run does not read deferred/: no GENAI_ACCEPTS_DEFERRED, no rights on deferred/, no bucket statement', () => {
    const stack = createTestStack();
    scheduled(stack);
    const template = Template.fromStack(stack);
    const env = scheduledEnvironment(template.toJSON());
    expect(env[ENV.acceptsDeferred]).toBeUndefined();
    expect(readScheduleSettings(env).acceptsDeferred).toBe(false);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('deferred/');
    expect(deferredDenies(template)).toEqual([]);
  });
});

describe('ScheduledWorkflow with a deferring API', () => {
  test('the run reads deferred/ (GENAI_ACCEPTS_DEFERRED=true, as the runtime reads it)', () => {
    const stack = createTestStack();
    deferringApi(stack, 'Chat', scheduled(stack));
    const env = scheduledEnvironment(Template.fromStack(stack).toJSON());
    expect(env[ENV.acceptsDeferred]).toBe('true');
    expect(readScheduleSettings(env).acceptsDeferred).toBe(true);
  });

  test('one Deny on the input bucket lets only the deferring APIs\' roles write or delete deferred/*', () => {
    const stack = createTestStack();
    const batch = scheduled(stack);
    const chat = deferringApi(stack, 'Chat', batch);
    const help = deferringApi(stack, 'Help', batch);
    const template = Template.fromStack(stack);
    const denies = deferredDenies(template);
    expect(denies).toHaveLength(1);
    expect(denies[0]).toMatchObject({
      Principal: { AWS: '*' },
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [stack.resolve(chat.role.roleArn), stack.resolve(help.role.roleArn)] } },
    });
    expect(template.toJSON().Resources[stack.getLogicalId(batch.inputBucket.node.defaultChild as s3.CfnBucket)]).toBeDefined();
  });

  test('a bucket brought with existingInputBucket gets a warning saying what its policy must add, and no statement', () => {
    const stack = createTestStack();
    const existing = s3.Bucket.fromBucketName(stack, 'Existing', 'customer-records');
    deferringApi(stack, 'Chat', scheduled(stack, { existingInputBucket: existing }));
    const template = Template.fromStack(stack);
    expect(deferredDenies(template)).toEqual([]);
    Annotations.fromStack(stack).hasWarning('/TestStack/Batch', Match.stringLikeRegexp(
      "TestStack/Chat defers calls to this workflow, whose input bucket was brought with existingInputBucket.*Fix: add to that bucket's policy a Deny of s3:PutObject, s3:DeleteObject and s3:DeleteObjectVersion on '<bucket ARN>/deferred/\\*'.*ArnNotEquals aws:PrincipalArn.*\\[ack: genai-finops:deferred-prefix-unprotected\\]"));
  });

  test('no warning for the construct\'s own bucket', () => {
    const stack = createTestStack();
    deferringApi(stack, 'Chat', scheduled(stack));
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('deferred-prefix-unprotected'))).toEqual([]);
  });

  test('an API in another stack fails with the fix: the bucket policy naming its role would make the stacks depend on each other', () => {
    const app = createTestStack().node.root as App;
    const batch = scheduled(new Stack(app, 'BatchStack'));
    expect(() => deferringApi(new Stack(app, 'ApiStack'), 'Chat', batch))
      .toThrow(/ApiStack\/Chat: deferTo is BatchStack\/Batch, in another stack \(BatchStack\).*Fix: define the ApiWorkflow in the same stack as the ScheduledWorkflow it defers to, or give the ScheduledWorkflow existingInputBucket/);
    // With a bucket it was given, the API may live elsewhere (the warning says what that bucket's policy must add).
    const app2 = createTestStack().node.root as App;
    const batchStack = new Stack(app2, 'BatchStack');
    const given = scheduled(batchStack, { existingInputBucket: s3.Bucket.fromBucketName(batchStack, 'Existing', 'customer-records') });
    expect(() => deferringApi(new Stack(app2, 'ApiStack'), 'Chat', given)).not.toThrow();
  });

  describe('decided by the IAM policy simulator', () => {
    const stack = createTestStack();
    const batch = scheduled(stack);
    const api = deferringApi(stack, 'Chat', batch);
    // An uploader as the docs suggest: grantPut on the whole bucket (which covers `*`, deferred/ included).
    const uploader = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });
    batch.inputBucket.grantPut(uploader);
    const bucketRef = `<${stack.getLogicalId(batch.inputBucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    for (const finding of ['Action::s3:Abort*', `Resource::${bucketRef}/*`]) {
      Validations.of(uploader).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason: 'The test\'s uploader has the wide grantPut an app would give, to show that the bucket policy still keeps it out of deferred/.' });
    }
    const template = Template.fromStack(stack).toJSON();
    const r = templateResolver(template, environmentOf(template));
    const bucketId = stack.getLogicalId(batch.inputBucket.node.defaultChild as s3.CfnBucket);
    const [bucketPolicy] = Object.values<any>(template.Resources)
      .filter((res) => res.Type === 'AWS::S3::BucketPolicy' && r.logicalIdOf(res.Properties.Bucket) === bucketId);
    const resourcePolicy = r.resolve(bucketPolicy.Properties.PolicyDocument);
    const bucketArn = String(r.refOf(bucketId, 'Arn'));
    const roleOf = (role: iam.IRole) => {
      const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
      return { arn: String(r.refOf(roleId, 'Arn')), identityPolicies: identityPoliciesOf(r, template, roleId) };
    };
    const principals = { uploader: roleOf(uploader), api: roleOf(api.role), scheduled: roleOf(batch.role) };

    const decide = async (who: keyof typeof principals, action: string, key: string) => {
      const principal = principals[who];
      const request = {
        principal: principal.arn, action, resource: `${bucketArn}/${key}`, resourceAccount: r.env.account,
        context: { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': principal.arn, 'aws:PrincipalAccount': r.env.account },
      };
      const policies = { identityPolicies: principal.identityPolicies, resourcePolicy };
      const decision = await simulate(request, policies);
      expect(evaluateAccess(request, policies)).toBe(decision);
      return decision;
    };

    test.each([
      ['an uploader granted grantPut cannot write a deferred record', 'uploader', 's3:PutObject', 'deferred/2036-03-15/forged.json', 'ExplicitlyDenied'],
      ['an uploader granted grantPut cannot delete one either', 'uploader', 's3:DeleteObject', 'deferred/2036-03-15/c6af9ac6.json', 'ExplicitlyDenied'],
      ['an uploader still writes its records', 'uploader', 's3:PutObject', 'records/2036-03-15/invoice.json', 'Allowed'],
      ['the API\'s role writes a deferred record', 'api', 's3:PutObject', 'deferred/2036-03-15/c6af9ac6.json', 'Allowed'],
      ['the scheduled role reads a deferred record', 'scheduled', 's3:GetObject', 'deferred/2036-03-15/c6af9ac6.json', 'Allowed'],
      ['the scheduled role cannot write one', 'scheduled', 's3:PutObject', 'deferred/2036-03-15/c6af9ac6.json', 'ExplicitlyDenied'],
    ] as const)('%s', async (_name, who, action, key, expected) => {
      expect(await decide(who, action, key)).toBe(expected);
    });
  });
});
