import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ApiWorkflow, EmbeddingCache } from '../../../lib';
import { ENV, PipelineConfigDocument } from '../../../shared/contract';
import { EmbeddingCache as RuntimeEmbeddingCache } from '../../../lambda/pipeline/embedding-cache';
import { BedrockSimulator, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { modelAliases } from '../../../packages/local/src/demo/function-env';
import { LOCAL_ACCOUNT, LOCAL_REGION, resolveFunction, TemplateResolver, templateFunctions } from '../../../packages/local/src/template';
import { createTestApp } from '../../support/test-app';
import { simulatorClient } from './support';

// Finding 6 at run time: the handler's configuration, as the synthesized template gives it, makes the embeddings
// call go to the workflow's application inference profile (what Bedrock bills with the workflow's tags).

const ddb = mockClient(DynamoDBClient);
let sim: BedrockSimulator | undefined;

afterAll(async () => {
  await sim?.close();
  ddb.restore();
});

function synthesizedPipelineConfig(): PipelineConfigDocument {
  const stack = new Stack(createTestApp(), 'Chat', { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  new ApiWorkflow(stack, 'Api', { tags: { feature: 'support-chat' }, embeddingCache: new EmbeddingCache(stack, 'Embeddings', { dimensions: 256 }) });
  const template = Template.fromStack(stack).toJSON();
  const resolver = new TemplateResolver(template as never);
  const handler = templateFunctions(template as never)
    .find((fn) => (template.Resources[fn.logicalId].Properties.Environment?.Variables ?? {})[ENV.pipelineConfig] !== undefined)!;
  return JSON.parse(resolveFunction(resolver, handler).environment[ENV.pipelineConfig]);
}

test('POST /embed calls Bedrock with the workflow\'s embeddings profile ARN, which resolves to the Titan model', async () => {
  const config = synthesizedPipelineConfig();
  const embedding = config.embedding!;
  expect(embedding.invokeId).toMatch(new RegExp(`^arn:aws:bedrock:${LOCAL_REGION}:${LOCAL_ACCOUNT}:application-inference-profile/`));
  sim = await startBedrockSimulator({ modelAliases: modelAliases(config) });
  ddb.on(BatchGetItemCommand).resolves({ Responses: { [embedding.tableName]: [] } });
  ddb.on(BatchWriteItemCommand).resolves({});
  const client = simulatorClient(sim);
  const cache = new RuntimeEmbeddingCache(embedding, new DynamoDBClient({ region: LOCAL_REGION }), client, () => Date.UTC(2026, 10, 1));

  const lookup = await cache.lookup('customer-123', ['Refunds take 30 days.']);
  const embedded = await cache.embedMissing(lookup);
  client.destroy();

  expect(sim.calls).toHaveLength(1);
  expect(sim.calls[0]).toMatchObject({ operation: 'InvokeModel', status: 200, modelId: embedding.invokeId, baseModelId: 'amazon.titan-embed-text-v2:0' });
  expect(embedded.inputTokens).toBe(sim.calls[0].usage!.inputTokens);
});
