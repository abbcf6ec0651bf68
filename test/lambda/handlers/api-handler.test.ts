import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { event, loadHandler } from './handler-env';

const bedrock = mockClient(BedrockRuntimeClient);
const { handler } = loadHandler<typeof import('../../../lambda/handlers/api')>('../../../lambda/handlers/api');

beforeEach(() => {
  bedrock.reset();
  bedrock.on(ConverseCommand).resolves({
    output: { message: { role: 'assistant', content: [{ text: 'Use the "Forgot password" link.' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 120, outputTokens: 9, totalTokens: 129 },
    metrics: { latencyMs: 300 },
  });
});

describe('API handler', () => {
  test('answers an API Gateway proxy request with the model answer and token usage', async () => {
    const response = await handler(event('api-gateway-proxy'));

    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body.answer).toBe('Use the "Forgot password" link.');
    expect(body.usage).toMatchObject({ inputTokens: 120, outputTokens: 9 });
    expect(body.requestId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
  });

  test('calls Converse through the inference profile with the configured output cap', async () => {
    await handler(event('api-gateway-proxy'));

    const input = bedrock.commandCalls(ConverseCommand)[0].args[0].input;
    expect(input.modelId).toBe('arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123');
    expect(input.inferenceConfig?.maxTokens).toBeLessThanOrEqual(256);
    expect(JSON.stringify(input.messages)).toContain('How do I reset my password?');
  });

  test('rejects a body without a message with 400 and calls no model', async () => {
    const response = await handler({ ...event('api-gateway-proxy'), body: '{"text":"hi"}' });

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toMatch(/message/);
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(0);
  });

  test('rejects a body that is not JSON with 400', async () => {
    const response = await handler({ ...event('api-gateway-proxy'), body: 'not json' });
    expect(response.statusCode).toBe(400);
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(0);
  });
});
