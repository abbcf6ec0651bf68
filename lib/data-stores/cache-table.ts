import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

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
