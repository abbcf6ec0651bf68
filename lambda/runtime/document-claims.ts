import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PipelineResult } from '../pipeline/types';
import type { UploadedObject } from './s3-events';

// A claim older than this belongs to an invocation that died; a redelivery may take it over.
const STALE_CLAIM_SECONDS = 15 * 60;

/**
 * Idempotency for the document workflow: one item per object version in the results table. A delivery first
 * claims the item with a conditional write; a repeated delivery of the same version finds it claimed and does
 * nothing, so the document is processed, and charged, once.
 */
export class DocumentClaims {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string, private readonly nowMs: () => number = Date.now) {}

  /** True when this delivery owns the object version; false when another delivery processed or is processing it. */
  async claim(object: UploadedObject, deliveryId: string): Promise<boolean> {
    const now = Math.floor(this.nowMs() / 1000);
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          objectKey: { S: object.key },
          versionId: { S: object.versionId },
          status: { S: 'processing' },
          deliveryId: { S: deliveryId },
          claimedAt: { N: String(now) },
        },
        ConditionExpression: 'attribute_not_exists(objectKey) OR (#status = :processing AND claimedAt < :stale)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':processing': { S: 'processing' }, ':stale': { N: String(now - STALE_CLAIM_SECONDS) } },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Records the result and its cost on the claimed item. */
  async complete(object: UploadedObject, result: PipelineResult): Promise<void> {
    await this.client.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: this.key(object),
      UpdateExpression: 'SET #status = :processed, summary = :summary, model = :model, tier = :tier, inputTokens = :in, outputTokens = :out, '
        + 'cacheReadInputTokens = :cr, cacheWriteInputTokens = :cw, costUsd = :cost, processedAt = :at, requestId = :rid',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':processed': { S: 'processed' },
        ':summary': { S: result.answer },
        ':model': { S: result.model.id },
        ':tier': { S: result.model.tier },
        ':in': { N: String(result.usage.inputTokens) },
        ':out': { N: String(result.usage.outputTokens) },
        ':cr': { N: String(result.usage.cacheReadInputTokens) },
        ':cw': { N: String(result.usage.cacheWriteInputTokens) },
        ':cost': { N: String(result.cost.totalUsd) },
        ':at': { S: new Date(this.nowMs()).toISOString() },
        ':rid': { S: result.requestId },
      },
    }));
  }

  /** Records that the document was refused (too large, invalid) and why; it is not retried and costs nothing. */
  async reject(object: UploadedObject, code: string, reason: string): Promise<void> {
    await this.client.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: this.key(object),
      UpdateExpression: 'SET #status = :rejected, rejectionCode = :code, reason = :reason, costUsd = :zero, processedAt = :at',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':rejected': { S: 'rejected' }, ':code': { S: code }, ':reason': { S: reason }, ':zero': { N: '0' },
        ':at': { S: new Date(this.nowMs()).toISOString() },
      },
    }));
  }

  /** Gives the claim up so that a retry of this delivery can process the document. */
  async release(object: UploadedObject): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: this.key(object) }));
  }

  private key(object: UploadedObject) {
    return { objectKey: { S: object.key }, versionId: { S: object.versionId } };
  }
}
