import { App, Stack, Tags, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { GenAiTagKey, GenAiTagPolicy, GenAiTags } from '../../../lib';
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
    expect(() => app.synth()).toThrow(/required tag 'Team' is missing or empty on 1 resource: 'Tagged\/Queue\/Resource \(AWS::SQS::Queue\)'\. Fix: GenAiTags\.apply\(scope, \{ team: 'support' \}\)/);
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
    expect(() => app.synth()).toThrow(/tag 'Environment' is 'prod', which is not allowed\. Fix: use one of production, staging, development on 1 resource: 'Tagged\/Queue\/Resource/);
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

  test('enforcedAbove finds the policy of the nearest enclosing scope', () => {
    const { app, stack } = queueStack();
    expect(GenAiTagPolicy.enforcedAbove(stack)).toBeUndefined();
    const policy = GenAiTagPolicy.enforce(app);
    expect(GenAiTagPolicy.enforcedAbove(stack)).toBe(policy);
  });
});
