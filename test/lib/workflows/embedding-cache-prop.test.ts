import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, DocumentWorkflow, DocumentWorkflowProps, EmbeddingCache, ScheduledWorkflow, ScheduledWorkflowProps } from '../../../lib';
import { createTestStack } from '../../support/test-app';

// Only the API workflow's handler embeds (POST /embed). A cache given to the document or scheduled workflow would be
// granted and configured for a handler that never calls it: a promise of savings that never happen.

describe('the embeddingCache prop', () => {
  test('the API workflow serves it at POST /embed, with its table configured for the handler', () => {
    const stack = createTestStack();
    const embeddingCache = new EmbeddingCache(stack, 'Embeddings', { dimensions: 256 });

    const chat = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' }, embeddingCache });

    expect(chat.embeddingCache).toBe(embeddingCache);
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'embed' });
  });

  test.each<[string, (props: never) => unknown]>([
    ['DocumentWorkflow', (props) => new DocumentWorkflow(createTestStack(), 'Docs', props as DocumentWorkflowProps)],
    ['ScheduledWorkflow', (props) => new ScheduledWorkflow(createTestStack(), 'Nightly', props as ScheduledWorkflowProps)],
  ])('fails when a %s is given one (a JavaScript caller, or props shared with an API workflow), naming the fix', (name, create) => {
    const stack = createTestStack();
    const props = { embeddingCache: new EmbeddingCache(stack, 'Embeddings') };

    expect(() => create(props as never)).toThrow(new RegExp(
      `TestStack/(Docs|Nightly): embeddingCache is set \\(TestStack/Embeddings\\), but a ${name} never embeds.*` +
      'Fix: pass it to an ApiWorkflow, which serves POST /embed, or grant your own function with embeddingCache.grantReadWrite\\(fn\\)',
    ));
  });

  test('is not a prop of the document and scheduled workflows in TypeScript', () => {
    const stack = createTestStack();
    const embeddingCache = new EmbeddingCache(stack, 'Embeddings');

    // @ts-expect-error embeddingCache is a prop of ApiWorkflow only
    const document: DocumentWorkflowProps = { embeddingCache };
    // @ts-expect-error embeddingCache is a prop of ApiWorkflow only
    const scheduled: ScheduledWorkflowProps = { embeddingCache };

    expect([document, scheduled]).toHaveLength(2);
  });
});
