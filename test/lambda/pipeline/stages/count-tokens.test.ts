import { AccessDeniedException, BedrockRuntimeClient, CountTokensCommand, Message, ThrottlingException, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { countTokens } from '../../../../local/bedrock-simulator';
import { countTokensFor } from '../../../../lambda/pipeline/stages/count-tokens';
import { useBedrockSimulator, SONNET_45 } from '../support';

const MESSAGES: Message[] = [{ role: 'user', content: [{ text: 'How much did we spend on inference last week?' }] }];

describe('count-tokens stage', () => {

  const simulator = useBedrockSimulator();

  test('returns the input tokens Bedrock counts for the Converse prompt', async () => {
    // When the system prompt and message are counted
    const counted = await countTokensFor(simulator.client, SONNET_45, { system: [{ text: 'You answer cost questions.' }], messages: MESSAGES });

    // Then it is what the simulator bills: each text, plus 3 tokens of role markers per message
    expect(counted).toBe(countTokens('You answer cost questions.') + 3 + countTokens('How much did we spend on inference last week?'));
  });

  test.each([
    ['the model does not support counting', new ValidationException({ message: 'The provided model does not support counting tokens.', $metadata: {} })],
    ['the role may not count', new AccessDeniedException({ message: 'not authorized to perform bedrock:CountTokens', $metadata: {} })],
  ])('returns undefined, without throwing, when %s', async (_, error) => {
    // Given a client whose CountTokens call is rejected
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    mockClient(client).on(CountTokensCommand).rejects(error);

    // Then there is no count, and no error
    await expect(countTokensFor(client, SONNET_45, { messages: MESSAGES })).resolves.toBeUndefined();
    client.destroy();
  });

  test('returns undefined when the call fails or the response has no count', async () => {
    // Given a client that is throttled once, then answers without a count
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(CountTokensCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Too many requests', $metadata: {} }))
      .resolves({ inputTokens: undefined });

    // Then both calls give undefined, and each sent the Converse shape
    expect(await countTokensFor(client, SONNET_45, { messages: MESSAGES })).toBeUndefined();
    expect(await countTokensFor(client, SONNET_45, { messages: MESSAGES })).toBeUndefined();
    expect(mock.commandCalls(CountTokensCommand)[0].args[0].input).toEqual({ modelId: SONNET_45, input: { converse: { system: undefined, messages: MESSAGES } } });
    client.destroy();
  });
});
