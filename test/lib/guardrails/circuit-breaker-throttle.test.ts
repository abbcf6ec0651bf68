import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, ApiWorkflowProps, CircuitBreaker, DocumentWorkflow, RoutingTier, ScheduledWorkflow, WhenTripped } from '../../../lib';
import { createTestStack, pipelineConfigOf } from '../../support/test-app';

function workflow(props: Partial<ApiWorkflowProps> = {}) {
  const stack = createTestStack();
  const breaker = new CircuitBreaker(stack, 'Breaker', { cacheTtl: Duration.seconds(15) });
  new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: breaker, ...props });
  return { stack, template: Template.fromStack(stack) };
}

describe('WhenTripped.THROTTLE', () => {
  test('writes the share the runtime admits, the default share when throttleTo is left out', () => {
    expect(pipelineConfigOf(workflow({ whenTripped: WhenTripped.THROTTLE, throttleTo: 0.1 }).template, 'ChatHandler').guards.breaker.defaultFeature)
      .toEqual({ critical: false, whenTripped: 'throttle', throttleTo: 0.1 });
    expect(pipelineConfigOf(workflow({ whenTripped: WhenTripped.THROTTLE }).template, 'ChatHandler').guards.breaker.defaultFeature)
      .toEqual({ critical: false, whenTripped: 'throttle', throttleTo: 0.25 });
  });

  test('the other modes write no share', () => {
    expect(pipelineConfigOf(workflow({ whenTripped: WhenTripped.PAUSE }).template, 'ChatHandler').guards.breaker.defaultFeature).toEqual({ critical: false, whenTripped: 'pause' });
  });

  // A document or a scheduled day is one invocation that a throttled refusal fails whole (its retries spent on the
  // same refusals): there a throttle would act as a pause that loses the work.
  test('the document and scheduled workflows refuse it, naming the modes that fit them', () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    expect(() => new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'summaries' }, circuitBreaker: breaker, whenTripped: WhenTripped.THROTTLE, throttleTo: 0.5 }))
      .toThrow(/TestStack\/Docs: whenTripped is WhenTripped\.THROTTLE, but this document workflow .* Fix: use WhenTripped\.PAUSE .* or WhenTripped\.DOWNGRADE here; THROTTLE is for ApiWorkflow\./);
    expect(() => new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'digest' }, circuitBreaker: breaker, whenTripped: WhenTripped.THROTTLE }))
      .toThrow(/TestStack\/Nightly: whenTripped is WhenTripped\.THROTTLE, but this scheduled workflow/);
  });

  test('fails when throttleTo is set but the workflow pauses', () => {
    expect(() => workflow({ throttleTo: 0.25 })).toThrow(/TestStack\/Chat: throttleTo is 0\.25 but whenTripped is not set \(pause\)\. Fix: set whenTripped: WhenTripped\.THROTTLE, or leave throttleTo out\./);
  });

  test('fails when throttleTo is set but the workflow downgrades', () => {
    expect(() => workflow({ whenTripped: WhenTripped.DOWNGRADE, downgradeTo: RoutingTier.SIMPLE, throttleTo: 0.25 }))
      .toThrow(/TestStack\/Chat: throttleTo is 0\.25 but whenTripped is 'downgrade'\. Fix: set whenTripped: WhenTripped\.THROTTLE/);
  });

  test.each([0, 1, -0.5, 1.5, Number.NaN])('fails when throttleTo is %p, outside (0, 1)', (share) => {
    expect(() => workflow({ whenTripped: WhenTripped.THROTTLE, throttleTo: share }))
      .toThrow(new RegExp(`TestStack/Chat: throttleTo is ${String(share).replace('.', '\\.')}\\. Fix: give the share of requests admitted while the breaker is tripped, between 0 and 1 exclusive`));
  });

  test('fails when a critical workflow is given a share: a critical feature is never throttled', () => {
    expect(() => workflow({ critical: true, whenTripped: WhenTripped.THROTTLE, throttleTo: 0.5 }))
      .toThrow(/TestStack\/Chat: critical is true and throttleTo is 0\.5, but a critical feature is never throttled.*Fix: drop critical: true to throttle it/);
  });

  test('a critical workflow with WhenTripped.THROTTLE alone is warned about, as the other modes are', () => {
    const { stack } = workflow({ critical: true, whenTripped: WhenTripped.THROTTLE });
    Annotations.fromStack(stack).hasWarning('/TestStack/Chat', Match.stringLikeRegexp("critical is true, so whenTripped 'throttle' never applies"));
  });

  test('fails when throttleTo is set without a circuit breaker', () => {
    const stack = createTestStack();
    expect(() => new ApiWorkflow(stack, 'Chat', { throttleTo: 0.25 })).toThrow(/TestStack\/Chat: throttleTo is set without a circuitBreaker, so it does nothing\./);
  });

  test('fails, naming the nearest kind, when throttleTo is not a number (a user without a type checker)', () => {
    expect(() => workflow({ whenTripped: WhenTripped.THROTTLE, throttleTo: '25%' as unknown as number })).toThrow(/throttleTo/);
  });
});
