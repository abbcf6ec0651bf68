/**
 * The tables and buckets the workflow constructs create, created locally with the same keys.
 */
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';

/** The response cache table (ResponseCacheTable): partition key `cacheKey`. */
export function createResponseCacheTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return createTable(client, tableName, [{ name: 'cacheKey', type: 'HASH' }]);
}

/** The embedding cache table (EmbeddingCacheTable): partition key `cacheKey`. */
export function createEmbeddingCacheTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return createTable(client, tableName, [{ name: 'cacheKey', type: 'HASH' }]);
}

/** The circuit breaker's state table (CircuitBreaker): partition key `pk`, sort key `sk`. */
export function createBreakerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return createTable(client, tableName, [{ name: 'pk', type: 'HASH' }, { name: 'sk', type: 'RANGE' }]);
}

/** The document workflow's results table: partition key `objectKey`, sort key `versionId`. */
export function createDocumentResultsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return createTable(client, tableName, [{ name: 'objectKey', type: 'HASH' }, { name: 'versionId', type: 'RANGE' }]);
}

async function createTable(client: DynamoDBClient, tableName: string, keys: Array<{ name: string; type: 'HASH' | 'RANGE' }>): Promise<void> {
  try {
    await client.send(new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: 'S' })),
      KeySchema: keys.map((k) => ({ AttributeName: k.name, KeyType: k.type })),
    }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** A bucket, versioned when asked (the document workflow's bucket is). */
export async function createBucket(client: S3Client, bucket: string, versioned = false): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  if (versioned) await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
}
