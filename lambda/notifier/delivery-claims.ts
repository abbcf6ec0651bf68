import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { NOTIFIER_CLAIMS_TABLE } from '../../shared/contract';

/** What {@link DeliveryClaims.claim} found. */
export type ClaimOutcome = 'claimed' | 'already-posted' | 'in-progress';

/**
 * One post per alert delivery key (an alarm's ARN, transition time and state; a budget's name, threshold and day; an
 * anomaly's id and impact; a breaker invocation). SNS and SQS deliver at least once, and one alarm may notify
 * several of the delivered topics, so a post is claimed first with a conditional put.
 *
 * Why a table rather than an SQS FIFO queue's deduplication: a FIFO queue can subscribe only to a FIFO topic, and the
 * library's alert topics (the ones CloudWatch, Budgets and Cost Anomaly Detection publish to) are standard topics;
 * and FIFO deduplication lasts 5 minutes, while a duplicate may come later (an alarm notifying two topics, a retried
 * breaker invocation).
 *
 * A claim is `posting` with a lease while the post is under way, then `posted`. A failed post releases its claim; a
 * crash leaves the lease, after which a redelivery may claim again (at least once, rather than never).
 */
export class DeliveryClaims {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string, private readonly retentionDays: number) {}

  async claim(key: string, now: number, leaseSeconds: number): Promise<ClaimOutcome> {
    const nowSeconds = Math.floor(now / 1000);
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [NOTIFIER_CLAIMS_TABLE.partitionKey]: { S: key },
          status: { S: 'posting' },
          leaseUntil: { N: String(nowSeconds + leaseSeconds) },
          [NOTIFIER_CLAIMS_TABLE.ttlAttribute]: { N: String(nowSeconds + this.retentionDays * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR (#status = :posting AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#pk': NOTIFIER_CLAIMS_TABLE.partitionKey, '#status': 'status' },
        ExpressionAttributeValues: { ':posting': { S: 'posting' }, ':now': { N: String(nowSeconds) } },
      }));
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.client.send(new GetItemCommand({
      TableName: this.tableName,
      Key: { [NOTIFIER_CLAIMS_TABLE.partitionKey]: { S: key } },
      ConsistentRead: true,
    }));
    return existing.Item?.status?.S === 'posted' ? 'already-posted' : 'in-progress';
  }

  async markPosted(key: string): Promise<void> {
    await this.client.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: { [NOTIFIER_CLAIMS_TABLE.partitionKey]: { S: key } },
      UpdateExpression: 'SET #status = :posted REMOVE leaseUntil',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':posted': { S: 'posted' } },
    }));
  }

  async release(key: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({
      TableName: this.tableName,
      Key: { [NOTIFIER_CLAIMS_TABLE.partitionKey]: { S: key } },
      ConditionExpression: '#status = :posting',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':posting': { S: 'posting' } },
    })).catch(() => undefined);
  }
}
