import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, CircuitBreaker, DocumentWorkflow, EmbeddingCache, GenAiTags, ScheduledWorkflow, UsageLedger, UsageLimits } from '../../../lib';
import { createTestStack } from '../../support/test-app';
import { expectTableAccessHolds } from '../../support/table-access';

/**
 * Functions → their tables, for the workflows with every store and guard attached: each function may make the calls
 * its runtime makes on the tables its environment names and may not touch the others (IAM policy simulator over
 * the synthesized identity policies).
 */
describe('workflow functions and their tables, evaluated by an IAM policy simulator', () => {
  test('an ApiWorkflow with a usage ledger, a circuit breaker, a response cache and an embedding cache', async () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    const usageLedger = new UsageLedger(stack, 'Ledger');
    const embeddingCache = new EmbeddingCache(stack, 'Embeddings', { dimensions: 512 });
    GenAiTags.apply(embeddingCache, { feature: 'rag' });
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: breaker, usageLedger, usageLimits: UsageLimits.articleDefaults(), embeddingCache });
    await expectTableAccessHolds(Template.fromStack(stack).toJSON());
  });

  test('a DocumentWorkflow and a ScheduledWorkflow sharing a circuit breaker', async () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    new DocumentWorkflow(stack, 'Documents', { tags: { feature: 'attachments' }, circuitBreaker: breaker });
    new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'digest' }, circuitBreaker: breaker });
    await expectTableAccessHolds(Template.fromStack(stack).toJSON());
  });
});
