import * as net from 'node:net';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { BedrockMessages, BedrockSimulator, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { clientFor } from './support';

const HAIKU_PATH = `/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}`;

async function post(sim: BedrockSimulator, path: string, body: string): Promise<{ status: number; errorType: string | null; json: Record<string, unknown> }> {
  const response = await fetch(`${sim.endpoint}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), json: (await response.json()) as Record<string, unknown> };
}

function sendRaw(sim: BedrockSimulator, bytes: Buffer): Promise<void> {
  const { port } = new URL(sim.endpoint);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(bytes);
      setTimeout(() => socket.destroy(), 50);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}

describe('Bedrock simulator: bad input and transport', () => {
  let sim: BedrockSimulator;
  let client: BedrockRuntimeClient;
  const converse = new ConverseCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: 'still alive?' }] }] });

  beforeAll(async () => {
    sim = await startBedrockSimulator();
    client = clientFor(sim);
  });
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  test('serves HTTP/1.1 clients as well as the SDK default HTTP/2', async () => {
    const response = await post(sim, `${HAIKU_PATH}/converse`, JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ stopReason: 'end_turn', output: { message: { role: 'assistant' } } });
  });

  test('a malformed JSON body is a 400 ValidationException', async () => {
    const response = await post(sim, `${HAIKU_PATH}/converse`, '{"messages": [');
    expect(response.status).toBe(400);
    expect(response.errorType?.split(':')[0]).toBe('ValidationException');
    expect(response.json).toEqual({ message: BedrockMessages.malformedInput });
  });

  test.each([
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"hello"'],
    ['messages that are not a list', '{"messages": "hi"}'],
    ['an empty content block', '{"messages": [{"role": "user", "content": [{}]}]}'],
    ['a content block with two members', '{"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}'],
    ['an unknown role', '{"messages": [{"role": "system", "content": [{"text": "a"}]}]}'],
    ['a cache point of the wrong type', '{"system": [{"text": "a"}, {"cachePoint": {"type": "ephemeral"}}], "messages": [{"role": "user", "content": [{"text": "a"}]}]}'],
    ['a cache point with an unknown TTL', '{"system": [{"text": "a"}, {"cachePoint": {"type": "default", "ttl": "1d"}}], "messages": [{"role": "user", "content": [{"text": "a"}]}]}'],
    ['a toolConfig without tools', '{"toolConfig": {}, "messages": [{"role": "user", "content": [{"text": "a"}]}]}'],
    ['inferenceConfig of the wrong type', '{"inferenceConfig": [], "messages": [{"role": "user", "content": [{"text": "a"}]}]}'],
  ])('%s is a 400 ValidationException', async (_label, body) => {
    const response = await post(sim, `${HAIKU_PATH}/converse`, body);
    expect(response.status).toBe(400);
    expect(response.errorType?.split(':')[0]).toBe('ValidationException');
    expect(typeof response.json.message).toBe('string');
  });

  test('CountTokens without input is a 400 ValidationException', async () => {
    const response = await post(sim, `${HAIKU_PATH}/count-tokens`, '{}');
    expect(response.status).toBe(400);
    expect(response.errorType?.split(':')[0]).toBe('ValidationException');
  });

  test('a model id with broken percent-encoding is a 400', async () => {
    const response = await post(sim, '/model/%E0%A4%A/converse', '{}');
    expect(response.status).toBe(400);
  });

  test.each([
    ['GET', '/'],
    ['POST', '/model/x/unknown-operation'],
    ['POST', `${HAIKU_PATH}/invoke-with-response-stream`],
    ['GET', `${HAIKU_PATH}/converse`],
    ['POST', '/guardrail/abc/version/1/apply'],
  ])('%s %s is a 404 with a JSON error', async (method, path) => {
    const response = await fetch(`${sim.endpoint}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('UnknownOperationException');
    expect(((await response.json()) as { message: string }).message).toMatch(/No Bedrock Runtime operation/);
  });

  test('survives garbage bytes, a truncated HTTP/2 preface and a broken HTTP/2 stream', async () => {
    await sendRaw(sim, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x42, 0x0a, 0x0d, 0x0a, 0x0d, 0x0a]));
    await sendRaw(sim, Buffer.from('PRI * HTT'));
    await sendRaw(sim, Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.alloc(64, 0xee)]));
    await sendRaw(sim, Buffer.from('POST /model/x/converse HTTP/1.1\r\nContent-Length: 99999\r\n\r\n{"trunc'));
    await expect(client.send(converse)).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('survives a client that gives up during simulated latency', async () => {
    sim.setLatency(300);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    await expect(client.send(converse, { abortSignal: abort.signal })).rejects.toThrow();
    sim.setLatency(0);
    await expect(client.send(converse)).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('close() is idempotent and releases the port', async () => {
    const other = await startBedrockSimulator();
    const { port } = new URL(other.endpoint);
    await Promise.all([other.close(), other.close()]);
    await other.close();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  test('close() does not wait for calls stuck in simulated latency', async () => {
    const slow = await startBedrockSimulator({ latencyMs: 60_000 });
    const slowClient = clientFor(slow);
    const pending = slowClient.send(converse).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await slow.close();
    // Far below the minute the call waits, whatever the machine's load.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await pending).toBeInstanceOf(Error);
    slowClient.destroy();
  });

  test('listens on a requested port', async () => {
    const probe = await startBedrockSimulator();
    const port = Number(new URL(probe.endpoint).port);
    await probe.close();
    const fixed = await startBedrockSimulator({ port });
    try {
      expect(fixed.endpoint).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await fixed.close();
    }
  });
});
