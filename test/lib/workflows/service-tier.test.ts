import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, BedrockModel, DocumentWorkflow, ServiceTier } from '../../../lib';
import { createTestStack, pipelineConfigOf } from '../../support/test-app';

const NOVA_PRO = BedrockModel.foundationModel('amazon.nova-pro-v1:0');

describe('workflow serviceTier', () => {
  test('writes the tier into the default feature of the pipeline configuration', () => {
    const stack = createTestStack();
    new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'contract-review' }, model: NOVA_PRO, serviceTier: ServiceTier.FLEX });

    const config = pipelineConfigOf(Template.fromStack(stack), 'DocsHandler');

    expect(config.defaultLimits.serviceTier).toBe('flex');
  });

  test('writes no tier for the standard default', () => {
    const stack = createTestStack();
    new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'contract-review' }, model: NOVA_PRO });

    const config = pipelineConfigOf(Template.fromStack(stack), 'DocsHandler');

    expect(config.defaultLimits.serviceTier).toBeUndefined();
  });

  test('fails when a routed model has no price for the tier', () => {
    const stack = createTestStack();

    expect(() => new ApiWorkflow(stack, 'Chat', {
      tags: { feature: 'chat' },
      routing: { simple: NOVA_PRO, medium: BedrockModel.foundationModel('amazon.nova-lite-v1:0') },
      serviceTier: ServiceTier.PRIORITY,
    })).toThrow(/TestStack\/Chat: serviceTier is 'priority', but 'amazon\.nova-lite-v1:0' has no priority price.*Fix: route to a model that has it/);
  });
});
