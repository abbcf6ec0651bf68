import { Agent } from 'node:https';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ENV } from '../../shared/contract';

// Keep-alive sockets survive across invocations of a warm container: no TLS handshake per model call.
const agentOptions = { keepAlive: true, maxSockets: 50 };

/** Endpoint overrides for local runs (the Bedrock simulator, DynamoDB Local, a local S3). */
function endpoint(name: string): string | undefined {
  return process.env[name] || undefined;
}

let bedrock: BedrockRuntimeClient | undefined;
let dynamodb: DynamoDBClient | undefined;
let s3: S3Client | undefined;

/** The container's Bedrock Runtime client, created on first use. Model retries are the pipeline's job. */
export function bedrockClient(): BedrockRuntimeClient {
  bedrock ??= new BedrockRuntimeClient({
    endpoint: endpoint(ENV.bedrockEndpoint),
    maxAttempts: 1,
    requestHandler: { httpsAgent: new Agent(agentOptions) },
  });
  return bedrock;
}

/** The container's DynamoDB client, created on first use. */
export function dynamoDbClient(): DynamoDBClient {
  dynamodb ??= new DynamoDBClient({
    endpoint: endpoint(ENV.dynamodbEndpoint),
    requestHandler: { httpsAgent: new Agent(agentOptions) },
  });
  return dynamodb;
}

/** The container's S3 client, created on first use. */
export function s3Client(): S3Client {
  s3 ??= new S3Client({
    endpoint: endpoint(ENV.s3Endpoint),
    forcePathStyle: Boolean(endpoint(ENV.s3Endpoint)),
    requestHandler: { httpsAgent: new Agent(agentOptions) },
  });
  return s3;
}

/** Forget the clients, so tests can point the next ones at other endpoints. */
export function resetClients(): void {
  bedrock?.destroy();
  dynamodb?.destroy();
  s3?.destroy();
  bedrock = dynamodb = s3 = undefined;
}
