/**
 * The tables and buckets a function's environment names, created in DynamoDB Local and the local S3 as the template
 * declares them: a table with its key schema, attribute definitions and indexes, a bucket versioned when the
 * template versions it. Time to live is not turned on: DynamoDB Local deletes expired items by the real clock, which
 * a local run with a fixed clock must not meet, and a local run lasts seconds.
 */
import { CreateTableCommand, CreateTableCommandInput, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { createBucket } from '../demo/resources';
import type { TemplateResolver } from './resolve';

/** What was created, by kind: the local names. */
export interface CreatedResources {
  readonly tables: ReadonlyArray<string>;
  readonly buckets: ReadonlyArray<string>;
}

/** Creates the tables and buckets among `logicalIds` (others are skipped); an existing one is kept. */
export async function createTemplateResources(
  resolver: TemplateResolver,
  logicalIds: Iterable<string>,
  clients: { readonly dynamodb: DynamoDBClient; readonly s3: S3Client },
): Promise<CreatedResources> {
  const tables: string[] = [];
  const buckets: string[] = [];
  for (const id of new Set(logicalIds)) {
    const resource = resolver.template.Resources[id];
    if (resource?.Type === 'AWS::DynamoDB::Table' || resource?.Type === 'AWS::DynamoDB::GlobalTable') {
      const input = tableInput(resolver, id);
      try {
        await clients.dynamodb.send(new CreateTableCommand(input));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      tables.push(input.TableName!);
    } else if (resource?.Type === 'AWS::S3::Bucket') {
      const name = resolver.physicalName(id);
      const versioning = resolver.resolve(resource.Properties?.VersioningConfiguration) as { Status?: string } | undefined;
      await createBucket(clients.s3, name, versioning?.Status === 'Enabled');
      buckets.push(name);
    }
  }
  return { tables, buckets };
}

/** The CreateTable request of a table resource: its name, keys and indexes as the template declares them. */
export function tableInput(resolver: TemplateResolver, logicalId: string): CreateTableCommandInput {
  const p = (resolver.resolve(resolver.template.Resources[logicalId].Properties ?? {}) ?? {}) as Record<string, any>;
  const indexes = (list: any[] | undefined) => list?.map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection ?? { ProjectionType: 'ALL' } }));
  const global = indexes(p.GlobalSecondaryIndexes);
  const local = indexes(p.LocalSecondaryIndexes);
  return {
    TableName: resolver.physicalName(logicalId),
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: p.KeySchema,
    AttributeDefinitions: p.AttributeDefinitions,
    ...(global?.length ? { GlobalSecondaryIndexes: global } : {}),
    ...(local?.length ? { LocalSecondaryIndexes: local } : {}),
  };
}
