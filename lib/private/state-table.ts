import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** A state table's string keys and expiry attribute, as the contract (`shared/contract`) declares them. */
export interface StateTableSchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly ttlAttribute: string;
}

/**
 * A table the runtime keeps state in (ledger counters, breaker states, delivery claims): on-demand, encrypted, with
 * point-in-time recovery, its items expiring at `ttlAttribute`. Unlike a cache table its items cannot be recomputed,
 * hence the backups; whether it outlives the stack is the caller's choice.
 */
export function createStateTable(scope: Construct, id: string, schema: StateTableSchema, removalPolicy: RemovalPolicy): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
    ...(schema.sortKey !== undefined ? { sortKey: { name: schema.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: schema.ttlAttribute,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy,
  });
}
