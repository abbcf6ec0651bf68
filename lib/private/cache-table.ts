import { RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { GenAiTagKey, GenAiTags } from '../tagging';

/** The Feature a shared store carries when neither its `feature` prop nor an enclosing scope sets one. */
export const SHARED_STORE_FEATURE = 'shared-cache';

/** What reading and writing cached vectors needs on the embedding cache's table (and nothing on Bedrock). */
export const EMBEDDING_TABLE_ACTIONS: ReadonlyArray<string> = ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'];

/**
 * A cache table: partition key `cacheKey`, TTL attribute `expiresAt`, on-demand, encrypted, removed with the stack
 * (a cache holds nothing that cannot be recomputed, so neither retention nor point-in-time recovery is worth paying).
 */
export function createCacheTable(scope: Construct, whyNoBackups: string): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'Resource', {
    partitionKey: { name: 'cacheKey', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiresAt',
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  Validations.of(table).acknowledge({ id: 'AwsSolutions-DDB3', reason: whyNoBackups });
  return table;
}

/**
 * The Feature tag of a store: the `feature` prop when given (it wins over enclosing scopes, like any tag set
 * deeper); otherwise {@link SHARED_STORE_FEATURE} at priority 0, which any Feature set on an enclosing scope (a
 * workflow that created the store, the user's own construct) overrides. So a store is never left unattributed,
 * and one inside a workflow is charged to that workflow's feature.
 */
export function tagStoreFeature(scope: Construct, feature: string | undefined, fallback: string = SHARED_STORE_FEATURE): void {
  if (feature !== undefined) {
    GenAiTags.apply(scope, { feature });
    return;
  }
  Tags.of(scope).add(GenAiTagKey.FEATURE, fallback, { priority: 0 });
}
