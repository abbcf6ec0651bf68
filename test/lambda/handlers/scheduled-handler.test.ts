import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { event, loadHandler, objectBody } from './handler-env';

const bedrock = mockClient(BedrockRuntimeClient);
const s3 = mockClient(S3Client);
const { handler } = loadHandler<typeof import('../../../lambda/handlers/scheduled')>('../../../lambda/handlers/scheduled');

beforeEach(() => {
  bedrock.reset();
  s3.reset();
  s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'records/2026-11-27/chat-1.txt' }, { Key: 'records/2026-11-27/chat-2.txt' }] });
  s3.on(GetObjectCommand).callsFake((input) => ({ Body: objectBody(`transcript of ${input.Key}`) }));
  s3.on(PutObjectCommand).resolves({});
  bedrock.on(ConverseCommand).resolves({
    output: { message: { role: 'assistant', content: [{ text: 'Digest.' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 30, outputTokens: 5, totalTokens: 35 },
  });
});

describe('scheduled handler', () => {
  test('the 02:00 run processes the records of the UTC day that just ended', async () => {
    const summary = await handler(event('eventbridge-scheduled'));

    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toMatchObject({ Bucket: 'records-bucket', Prefix: 'records/2026-11-27/' });
    expect(summary).toEqual({ day: '2026-11-27', records: 2, inputTokens: 60, outputTokens: 10, manifestKey: 'results/2026-11-27/_manifest.json' });
  });

  test('writes one result per record and a manifest to the results bucket', async () => {
    await handler(event('eventbridge-scheduled'));

    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toEqual(['results/2026-11-27/chat-1.txt.json', 'results/2026-11-27/chat-2.txt.json', 'results/2026-11-27/_manifest.json']);
    const first = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body));
    expect(first).toMatchObject({ source: 'records/2026-11-27/chat-1.txt', answer: 'Digest.', usage: { inputTokens: 30, outputTokens: 5 } });
  });

  test('a day without records writes an empty manifest and calls no model', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    const summary = await handler(event('eventbridge-scheduled'));

    expect(summary.records).toBe(0);
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(0);
  });
});
