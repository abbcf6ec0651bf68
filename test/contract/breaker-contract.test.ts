import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readBreakerHandlerConfig } from '../../lambda/breaker/config';
import { DEFAULT_BREAKER_THROTTLE_SHARE, ENV } from '../../shared/contract';
import { readPipelineConfig } from '../../lambda/pipeline/config';
import { ApiWorkflow, CircuitBreaker, DocumentWorkflow, GenAiWorkflowProps, RoutingTier, ScheduledWorkflow, WhenTripped } from '../../lib';
import { resolveIntrinsics } from '../support/intrinsics';
import { createTestStack } from '../support/test-app';

type WorkflowKind = 'api' | 'document' | 'scheduled';

/** The environments of a workflow's handler and of the breaker's function, as deployed functions would see them. */
function environments(kind: WorkflowKind, props: Partial<GenAiWorkflowProps>) {
  const stack = createTestStack();
  const breaker = new CircuitBreaker(stack, 'Breaker', { cacheTtl: Duration.seconds(10), budgets: [{ budgetName: 'genai-monthly-total', features: ['support-chat'] }] });
  const given = { tags: { feature: 'support-chat' }, circuitBreaker: breaker, ...props };
  if (kind === 'api') new ApiWorkflow(stack, 'Workflow', given);
  else if (kind === 'document') new DocumentWorkflow(stack, 'Workflow', given);
  else new ScheduledWorkflow(stack, 'Workflow', given);
  const template = Template.fromStack(stack);
  const envOf = (prefix: string) => {
    const fn = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } })).find(([id]) => id.startsWith(prefix))![1] as any;
    return resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>;
  };
  return { workflow: envOf('WorkflowHandler'), breaker: envOf('BreakerHandler') };
}

describe.each<WorkflowKind>(['api', 'document', 'scheduled'])('the circuit breaker contract (%s workflow)', (kind) => {
  test('the workflow runtime reads the breaker section the construct writes, on the table the breaker function writes', () => {
    const env = environments(kind, { whenTripped: WhenTripped.DOWNGRADE, downgradeTo: RoutingTier.MEDIUM });

    const guard = readPipelineConfig(env.workflow).guards.breaker;
    const handler = readBreakerHandlerConfig(env.breaker);

    expect(guard).toEqual({ tableName: handler.tableName, cacheTtlSeconds: 10, features: {}, defaultFeature: { critical: false, whenTripped: 'downgrade', downgradeTo: 'medium' } });
    // Both sides key states by the same Application: the tag the workflow and the breaker inherit.
    expect(readPipelineConfig(env.workflow).application).toBe(handler.application);
    expect(handler.budgets).toEqual([{ name: 'genai-monthly-total', features: ['support-chat'] }]);
  });

  test('a throttled workflow: the API\'s runtime reads the share the construct writes (the default when left out); the others refuse THROTTLE', () => {
    if (kind !== 'api') {
      // A document or a scheduled day is one invocation a throttled refusal would fail whole.
      expect(() => environments(kind, { whenTripped: WhenTripped.THROTTLE })).toThrow(/whenTripped is WhenTripped\.THROTTLE, but this (document|scheduled) workflow/);
      return;
    }
    expect(readPipelineConfig(environments(kind, { whenTripped: WhenTripped.THROTTLE, throttleTo: 0.1 }).workflow).guards.breaker?.defaultFeature)
      .toEqual({ critical: false, whenTripped: 'throttle', throttleTo: 0.1 });
    expect(readPipelineConfig(environments(kind, { whenTripped: WhenTripped.THROTTLE }).workflow).guards.breaker?.defaultFeature)
      .toEqual({ critical: false, whenTripped: 'throttle', throttleTo: DEFAULT_BREAKER_THROTTLE_SHARE });
  });

  test('the breaker function is given only variables of the contract', () => {
    const contractNames: string[] = Object.values(ENV);
    expect(Object.keys(environments(kind, {}).breaker).filter((name) => !contractNames.includes(name))).toEqual([]);
  });
});
