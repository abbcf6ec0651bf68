import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { event, loadHandler, objectBody } from './handler-env';

const bedrock = mockClient(BedrockRuntimeClient);
const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);
const { handler } = loadHandler<typeof import('../../../lambda/handlers/document')>('../../../lambda/handlers/document');

beforeEach(() => {
  bedrock.reset();
  s3.reset();
  dynamodb.reset();
  s3.on(GetObjectCommand).callsFake(() => ({ Body: objectBody('Customer asks for a refund of order 4711.') }));
  bedrock.on(ConverseCommand).resolves({
    output: { message: { role: 'assistant', content: [{ text: 'Refund request for order 4711.' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 40, outputTokens: 8, totalTokens: 48 },
  });
  dynamodb.on(PutItemCommand).resolves({});
});

describe('document handler', () => {
  test('decodes the URL-encoded key of an S3 notification and reads that object version', async () => {
    await handler(event('s3-object-created'));

    const get = s3.commandCalls(GetObjectCommand)[0].args[0].input;
    expect(get).toEqual({ Bucket: 'support-documents', Key: 'incoming/Ticket 4711 – refund?.txt', VersionId: '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd' });
  });

  test('writes a result item keyed by object key and version with the token usage', async () => {
    const result = await handler(event('s3-object-created'));

    expect(result.results).toEqual([{ key: 'incoming/Ticket 4711 – refund?.txt', versionId: '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd', status: 'processed' }]);
    const item = dynamodb.commandCalls(PutItemCommand)[0].args[0].input.Item!;
    expect(item.objectKey).toEqual({ S: 'incoming/Ticket 4711 – refund?.txt' });
    expect(item.versionId).toEqual({ S: '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd' });
    expect(item.summary).toEqual({ S: 'Refund request for order 4711.' });
    expect(item.inputTokens).toEqual({ N: '40' });
    expect(item.outputTokens).toEqual({ N: '8' });
  });

  test('takes the key of an EventBridge Object Created event as stored', async () => {
    await handler(event('eventbridge-object-created'));

    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toMatchObject({ Key: 'incoming/Ticket 4711 – refund?.txt', VersionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e' });
  });

  test('sends the document text to the model with the output cap', async () => {
    await handler(event('s3-object-created'));

    const input = bedrock.commandCalls(ConverseCommand)[0].args[0].input;
    expect(JSON.stringify(input.messages)).toContain('refund of order 4711');
    expect(input.inferenceConfig?.maxTokens).toBeLessThanOrEqual(256);
  });
});
