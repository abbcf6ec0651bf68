import { AccessDeniedException, BedrockRuntimeClient, CountTokensCommand, InternalServerException, Message, ServiceUnavailableException, ThrottlingException, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { countTokens } from '../../../../packages/local/src/bedrock-simulator';
import { countTokensFor } from '../../../../lambda/pipeline/stages/count-tokens';
import { useBedrockSimulator, SONNET_45 } from '../support';

const MESSAGES: Message[] = [{ role: 'user', content: [{ text: 'How much did we spend on inference last week?' }] }];

describe('count-tokens stage', () => {

  const simulator = useBedrockSimulator();

  test('returns the input tokens Bedrock counts for the Converse prompt', async () => {
    // When the system prompt and message are counted
    const counted = await countTokensFor(simulator.client, SONNET_45, { system: [{ text: 'You answer cost questions.' }], messages: MESSAGES });

    // Then it is what the simulator bills: each text, plus 3 tokens of role markers per message
    expect(counted).toEqual({ kind: 'counted', inputTokens: countTokens('You answer cost questions.') + 3 + countTokens('How much did we spend on inference last week?') });
  });

  test.each([
    ['the model does not support counting', new ValidationException({ message: 'The provided model does not support counting tokens.', $metadata: {} })],
    ['the role may not count', new AccessDeniedException({ message: 'not authorized to perform bedrock:CountTokens', $metadata: {} })],
  ])('says unsupported, without throwing, when %s', async (_, error) => {
    // Given a client whose CountTokens call is rejected
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    mockClient(client).on(CountTokensCommand).rejects(error);

    // Then there is no count, no error, and no reason to retry
    await expect(countTokensFor(client, SONNET_45, { messages: MESSAGES })).resolves.toMatchObject({ kind: 'unsupported', reason: expect.stringContaining(error.name) });
    client.destroy();
  });

  test.each([
    ['throttled', new ThrottlingException({ message: 'Too many requests', $metadata: { httpStatusCode: 429 } })],
    ['an internal error', new InternalServerException({ message: 'internal', $metadata: { httpStatusCode: 500 } })],
    ['unavailable', new ServiceUnavailableException({ message: 'unavailable', $metadata: { httpStatusCode: 503 } })],
    ['timed out', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })],
    ['the connection was reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('says unavailable (a retry may count it) when the call was %s', async (_, error) => {
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    mockClient(client).on(CountTokensCommand).rejects(error);

    await expect(countTokensFor(client, SONNET_45, { messages: MESSAGES })).resolves.toMatchObject({ kind: 'unavailable' });
    client.destroy();
  });

  test.each([
    ['throttle', 'ThrottlingException'],
    ['server-error', 'InternalServerException'],
    ['service-unavailable', 'ServiceUnavailableException'],
  ] as const)('tells a %s fault of the simulator\'s CountTokens from an unsupported model', async (kind, errorType) => {
    // Given one CountTokens fault queued on the simulator, whose SDK client does not retry
    simulator.sim.injectCountTokensFaults(kind, 1);
    const client = simulator.client;

    // Then the first count is unavailable, and the next one counts
    expect(await countTokensFor(client, SONNET_45, { messages: MESSAGES })).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining(errorType) });
    expect(await countTokensFor(client, SONNET_45, { messages: MESSAGES })).toMatchObject({ kind: 'counted' });
  });

  test('says unavailable when throttled, and unsupported when the response has no count', async () => {
    // Given a client that is throttled once, then answers without a count
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(CountTokensCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Too many requests', $metadata: {} }))
      .resolves({ inputTokens: undefined });

    // Then neither gives a count, and each sent the Converse shape
    expect(await countTokensFor(client, SONNET_45, { messages: MESSAGES })).toMatchObject({ kind: 'unavailable' });
    expect(await countTokensFor(client, SONNET_45, { messages: MESSAGES })).toMatchObject({ kind: 'unsupported' });
    expect(mock.commandCalls(CountTokensCommand)[0].args[0].input).toEqual({ modelId: SONNET_45, input: { converse: { system: undefined, messages: MESSAGES } } });
    client.destroy();
  });
});
