import { App, Stack, Tags, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GenAiTagKey, GenAiTagPolicy, GenAiTags } from '../../../lib';
import { declareTagProp } from '../../../lib/tagging/tag-messages';
import { tagValue } from '../../support/test-app';

function queueStack(): { app: App; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, 'Tagged');
  new sqs.Queue(stack, 'Queue', { enforceSSL: true });
  return { app, stack };
}

const COMPLETE = { environment: 'production', application: 'chatbot', feature: 'faq', team: 'support', costCenter: 'operations' };

describe('GenAiTags.apply', () => {
  test('tags every taggable resource under the scope with the schema keys', () => {
    const { stack } = queueStack();
    GenAiTags.apply(stack, { ...COMPLETE, modelProvider: 'anthropic', model: 'claude-3-haiku', inferenceType: 'realtime', customer: 'customer-123' });

    const queue = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'))[0];
    expect(tagValue(queue, 'Environment')).toBe('production');
    expect(tagValue(queue, 'CostCenter')).toBe('operations');
    expect(tagValue(queue, 'ModelProvider')).toBe('anthropic');
    expect(tagValue(queue, 'InferenceType')).toBe('realtime');
    expect(tagValue(queue, 'Customer')).toBe('customer-123');
  });

  test('a deeper scope overrides the value of an enclosing one', () => {
    const { app, stack } = queueStack();
    GenAiTags.apply(app, { feature: 'app-default' });
    GenAiTags.apply(stack, { feature: 'stack-specific' });

    const queue = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'))[0];
    expect(tagValue(queue, 'Feature')).toBe('stack-specific');
  });

  test('fails when a value is empty, naming the scope, the field and the fix', () => {
    const { stack } = queueStack();
    expect(() => GenAiTags.apply(stack, { team: '  ' })).toThrow(/GenAI tags at 'Tagged': 'team' \(tag Team\) is empty\. Fix: give it a value such as 'support'/);
  });

  test('fails when a value has characters AWS tags reject', () => {
    const { stack } = queueStack();
    expect(() => GenAiTags.apply(stack, { application: 'chat<bot>' })).toThrow(/'application' \(tag Application\) is 'chat<bot>'.*Fix: use only letters/);
  });

  test('fails when a value is longer than 256 characters', () => {
    const { stack } = queueStack();
    expect(() => GenAiTags.apply(stack, { customer: 'c'.repeat(257) })).toThrow(/is 257 characters long; AWS accepts at most 256/);
  });

  test('fails when inferenceType is not realtime, batch or async', () => {
    const { stack } = queueStack();
    expect(() => GenAiTags.apply(stack, { inferenceType: 'streaming' })).toThrow(/'inferenceType' is 'streaming'\. Fix: use one of realtime, batch, async/);
  });

  test('skips checks on unresolved tokens', () => {
    const { stack } = queueStack();
    expect(() => GenAiTags.apply(stack, { team: Token.asString({ Ref: 'TeamParameter' }) })).not.toThrow();
  });
});

describe('GenAiTagPolicy', () => {
  test('passes when every taggable resource carries the required keys', () => {
    const { app } = queueStack();
    GenAiTags.apply(app, COMPLETE);
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).not.toThrow();
  });

  test('fails when a required key is missing, naming the resource path, the key and the fix', () => {
    const { app } = queueStack();
    const { team, ...withoutTeam } = COMPLETE;
    void team;
    GenAiTags.apply(app, withoutTeam);
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/required tag 'Team' is missing or empty on 1 resource: 'Tagged\/Queue\/Resource \(AWS::SQS::Queue\)'\. Fix: tag 'Tagged\/Queue', the nearest construct holding them: GenAiTags\.apply\(queue, \{ team: 'support' \}\)/);
  });

  test('fails when a required key is empty even if set with Tags.of directly', () => {
    const { app, stack } = queueStack();
    GenAiTags.apply(app, COMPLETE);
    // Bypasses GenAiTags' own check, as a hand-written Tags.of call would.
    Tags.of(stack).add('CostCenter', '');
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/required tag 'CostCenter' is missing or empty/);
  });

  test('fails when Environment is not an allowed value', () => {
    const { app } = queueStack();
    GenAiTags.apply(app, { ...COMPLETE, environment: 'prod' });
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/on 1 resource: 'Tagged\/Queue\/Resource \(AWS::SQS::Queue\)': tag 'Environment' is 'prod', which is not allowed\. Fix: use one of production, staging, development \(the policy's allowedEnvironments; list more in GenAiTagPolicy\.enforce\(scope, \{ allowedEnvironments: \[\.\.\.\] \}\)\)\./);
  });

  test('accepts a configured list of environments and required keys', () => {
    const { app } = queueStack();
    GenAiTags.apply(app, { environment: 'sandbox', application: 'chatbot', customer: 'demo' });
    GenAiTagPolicy.enforce(app, {
      allowedEnvironments: ['sandbox'],
      requiredKeys: [GenAiTagKey.ENVIRONMENT, GenAiTagKey.APPLICATION, GenAiTagKey.CUSTOMER],
    });
    expect(() => app.synth()).not.toThrow();
  });

  test('fails when the configured list of environments is empty', () => {
    expect(() => GenAiTagPolicy.enforce(new App(), { allowedEnvironments: [] })).toThrow(/'allowedEnvironments' is empty/);
  });

  test('lists at most five resource paths and counts the rest', () => {
    const app = new App();
    const stack = new Stack(app, 'Many');
    for (let i = 0; i < 7; i++) new sqs.Queue(stack, `Queue${i}`, { enforceSSL: true });
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/on 7 resources: .*and 2 more/);
  });

  test('an app-wide policy reports from a named construct, not the empty path', () => {
    const { app } = queueStack();
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/\n\s+\[GenAiTagPolicy\] GenAI tag policy: required tag/);
    expect(() => app.synth()).not.toThrow(/\[\] /);
  });

  test('fails when a Feature is missing, suggesting the construct holding the resources and a value from its id', () => {
    const app = new App();
    const stack = new Stack(app, 'Support');
    const holder = new Construct(stack, 'SharedEmbeddings');
    new sqs.Queue(holder, 'First', { enforceSSL: true });
    new sqs.Queue(holder, 'Second', { enforceSSL: true });
    const { feature, ...withoutFeature } = COMPLETE;
    void feature;
    GenAiTags.apply(app, withoutFeature);
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/required tag 'Feature' is missing or empty on 2 resources: .*Fix: tag 'Support\/SharedEmbeddings', the nearest construct holding them: GenAiTags\.apply\(sharedEmbeddings, \{ feature: 'shared-embeddings' \}\)/);
  });

  test('a missing Feature on a stack suggests a placeholder, not a sample feature name, and no prop for a plain construct', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails');
    new sqs.Queue(stack, 'First', { enforceSSL: true });
    new sqs.Queue(stack, 'Second', { enforceSSL: true });
    const { feature, ...withoutFeature } = COMPLETE;
    void feature;
    GenAiTags.apply(app, withoutFeature);
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/Fix: tag 'Guardrails', the nearest construct holding them: GenAiTags\.apply\(guardrails, \{ feature: '<your feature>' \}\)\. Required keys/);
    expect(() => app.synth()).not.toThrow(/document-qa|' prop/);
  });

  test('a construct that takes its tags in a prop (a workflow) is told so', () => {
    const app = new App();
    const stack = new Stack(app, 'Support');
    const workflow = new Construct(stack, 'Chat');
    declareTagProp(workflow, 'tags');
    new sqs.Queue(workflow, 'First', { enforceSSL: true });
    new sqs.Queue(workflow, 'Second', { enforceSSL: true });
    const { feature, ...withoutFeature } = COMPLETE;
    void feature;
    GenAiTags.apply(app, withoutFeature);
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/GenAiTags\.apply\(chat, \{ feature: 'chat' \}\) or set it in its 'tags' prop\. Required keys/);
  });

  test('fails when Application is missing, suggesting the stack name in kebab case', () => {
    const app = new App();
    const stack = new Stack(app, 'CustomerSupport');
    new sqs.Queue(stack, 'Queue', { enforceSSL: true });
    const { application, ...withoutApplication } = COMPLETE;
    void application;
    GenAiTags.apply(app, withoutApplication);
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).toThrow(/GenAiTags\.apply\(queue, \{ application: 'customer-support' \}\)/);
  });

  test('names the app as "the app" when tagging the root fails', () => {
    expect(() => GenAiTags.apply(new App(), { team: '' })).toThrow(/GenAI tags at the app: 'team' \(tag Team\) is empty/);
  });

  test("exempts aws-cdk-lib's own singleton functions by default, such as the bucket-notifications handler", () => {
    const { app, stack } = queueStack();
    const { feature, ...withoutFeature } = COMPLETE;
    void feature;
    GenAiTags.apply(app, withoutFeature);
    GenAiTags.apply(stack.node.findChild('Queue'), { feature: 'faq' });
    const bucket = new s3.Bucket(stack, 'Uploads', { eventBridgeEnabled: true });
    GenAiTags.apply(bucket, { feature: 'faq' });
    GenAiTagPolicy.enforce(app);
    expect(() => app.synth()).not.toThrow();
    expect(Template.fromStack(stack).findResources('Custom::S3BucketNotifications')).not.toEqual({});
  });

  test('fails on the bucket-notifications handler when exemptCdkInternal is false', () => {
    const { app, stack } = queueStack();
    const { feature, ...withoutFeature } = COMPLETE;
    void feature;
    GenAiTags.apply(app, withoutFeature);
    GenAiTags.apply(stack.node.findChild('Queue'), { feature: 'faq' });
    GenAiTags.apply(new s3.Bucket(stack, 'Uploads', { eventBridgeEnabled: true }), { feature: 'faq' });
    GenAiTagPolicy.enforce(app, { exemptCdkInternal: false });
    expect(() => app.synth()).toThrow(/required tag 'Feature' is missing or empty on 2 resources: 'Tagged\/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/);
  });

  test('enforcedAbove finds the policy of the nearest enclosing scope', () => {
    const { app, stack } = queueStack();
    expect(GenAiTagPolicy.enforcedAbove(stack)).toBeUndefined();
    const policy = GenAiTagPolicy.enforce(app);
    expect(GenAiTagPolicy.enforcedAbove(stack)).toBe(policy);
  });
});
