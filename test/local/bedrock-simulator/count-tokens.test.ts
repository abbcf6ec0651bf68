import { BedrockRuntimeClient, ConverseCommand, CountTokensCommand, Message, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import { BedrockSimulator, countTokens, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { clientFor, rejectionOf } from './support';

const SONNET_45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const SYSTEM = 'You answer questions about cloud costs.';
const MESSAGES: Message[] = [
  { role: 'user', content: [{ text: 'What is our largest cost?' }] },
  { role: 'assistant', content: [{ text: 'Inference on Claude Sonnet.' }] },
  { role: 'user', content: [{ text: 'How can we reduce it by 30%?' }] },
];
const EXPECTED = countTokens(SYSTEM) + MESSAGES.reduce((sum, m) => sum + 3 + countTokens(m.content![0].text!), 0);

describe('Bedrock simulator: CountTokens', () => {
  let sim: BedrockSimulator;
  let client: BedrockRuntimeClient;

  beforeAll(async () => {
    sim = await startBedrockSimulator();
    client = clientFor(sim);
  });
  afterEach(() => sim.reset());
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  test('counts a converse-shaped input with the simulator tokenizer', async () => {
    const response = await client.send(new CountTokensCommand({ modelId: SONNET_45, input: { converse: { system: [{ text: SYSTEM }], messages: MESSAGES } } }));
    expect(response.inputTokens).toBe(EXPECTED);
    expect(response.$metadata.httpStatusCode).toBe(200);
  });

  test('agrees with the input tokens Converse bills for the same prompt', async () => {
    const counted = await client.send(new CountTokensCommand({ modelId: SONNET_45, input: { converse: { system: [{ text: SYSTEM }], messages: MESSAGES } } }));
    const conversed = await client.send(new ConverseCommand({ modelId: SONNET_45, system: [{ text: SYSTEM }], messages: MESSAGES }));
    expect(conversed.usage?.inputTokens).toBe(counted.inputTokens);
  });

  test('counts tool specifications', async () => {
    const schema = { type: 'object', properties: { team: { type: 'string' } } };
    const response = await client.send(
      new CountTokensCommand({
        modelId: SONNET_45,
        input: {
          converse: {
            messages: [MESSAGES[0]],
            toolConfig: { tools: [{ toolSpec: { name: 'get_costs', description: 'Costs per team.', inputSchema: { json: schema } } }] },
          },
        },
      }),
    );
    const toolTokens = countTokens('get_costs') + countTokens('Costs per team.') + countTokens(JSON.stringify(schema));
    expect(response.inputTokens).toBe(toolTokens + 3 + countTokens('What is our largest cost?'));
  });

  test('counts an Anthropic Messages API body the same as the converse form', async () => {
    const body = {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 100,
      system: SYSTEM,
      messages: MESSAGES.map((m) => ({ role: m.role, content: [{ type: 'text', text: m.content![0].text }] })),
    };
    const response = await client.send(new CountTokensCommand({ modelId: SONNET_45, input: { invokeModel: { body: Buffer.from(JSON.stringify(body)) } } }));
    expect(response.inputTokens).toBe(EXPECTED);
  });

  test('counts a Titan embeddings body', async () => {
    const body = Buffer.from(JSON.stringify({ inputText: 'embed this sentence' }));
    const response = await client.send(new CountTokensCommand({ modelId: 'amazon.titan-embed-text-v2:0', input: { invokeModel: { body } } }));
    expect(response.inputTokens).toBe(countTokens('embed this sentence'));
  });

  test('rejects an invokeModel body that is not JSON', async () => {
    const error = await rejectionOf(client.send(new CountTokensCommand({ modelId: SONNET_45, input: { invokeModel: { body: Buffer.from('not json') } } })));
    expect(error).toBeInstanceOf(ValidationException);
  });

  test('is not a model call: it neither consumes injected faults nor waits for latency', async () => {
    sim.injectFaults('throttle', 1);
    sim.setLatency(60_000);
    const started = Date.now();
    const response = await client.send(new CountTokensCommand({ modelId: SONNET_45, input: { converse: { messages: MESSAGES } } }));
    // Far below the minute a model call would wait, whatever the machine's load.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(response.inputTokens).toBeGreaterThan(0);
    expect(sim.calls).toEqual([expect.objectContaining({ operation: 'CountTokens', status: 200, latencyMs: 0 })]);
    sim.setLatency(0);
    // The throttle is still queued for the next model call.
    await expect(client.send(new ConverseCommand({ modelId: SONNET_45, messages: [MESSAGES[0]] }))).rejects.toThrow('Too many requests');
  });
});
