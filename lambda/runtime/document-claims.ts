import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PipelineResult } from '../pipeline/types';
import { logWarn } from './log';
import type { UploadedObject } from './s3-events';

/**
 * How long a claim protects a document when `CLAIM_STALE_SECONDS` is not set: Lambda's longest timeout (900 s) plus
 * a minute, so that no live invocation can lose its claim. The construct sets the variable to its own handler's
 * timeout plus a minute.
 */
export const DEFAULT_CLAIM_STALE_SECONDS = 960;

/**
 * What {@link DocumentClaims.claim} found: `claimed`, this delivery owns the object version; `done`, it was processed
 * or rejected already; `in-progress`, another delivery holds a claim that is not yet stale.
 */
export type ClaimOutcome = 'claimed' | 'done' | 'in-progress';

/**
 * Another delivery holds a fresh claim on the object version. Thrown so that the invocation fails and Lambda retries
 * the event later: if the claim's holder died, a retry after the claim has gone stale processes the document, and
 * when the retries run out the event lands in the dead-letter queue instead of being dropped as a duplicate.
 */
export class DocumentInProgressError extends Error {
  constructor(public readonly key: string, public readonly versionId: string) {
    super(`Another delivery is processing s3 object '${key}' (version ${versionId}); failing so that Lambda retries this event later.`);
    this.name = 'DocumentInProgressError';
  }
}

/**
 * Idempotency for the document workflow: one item per object version in the results table. A delivery first
 * claims the item with a conditional write; a repeated delivery of the same version finds it claimed and does
 * nothing, so the document is processed, and charged, once.
 *
 * Every later write is conditional on the item still naming this delivery: an invocation that outlived its claim
 * (which another delivery then took over) cannot overwrite the new owner's result.
 */
export class DocumentClaims {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** A claim older than this belongs to an invocation that died; a redelivery may take it over. */
    private readonly staleClaimSeconds: number = DEFAULT_CLAIM_STALE_SECONDS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Claims the object version for this delivery, unless it is done or another delivery holds a fresh claim. */
  async claim(object: UploadedObject, deliveryId: string): Promise<ClaimOutcome> {
    const now = Math.floor(this.nowMs() / 1000);
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...this.key(object),
          status: { S: 'processing' },
          deliveryId: { S: deliveryId },
          claimedAt: { N: String(now) },
        },
        ConditionExpression: 'attribute_not_exists(objectKey) OR (#status = :processing AND claimedAt < :stale)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':processing': { S: 'processing' }, ':stale': { N: String(now - this.staleClaimSeconds) } },
        // The item that blocked the claim says whether it is finished or still being worked on, without a read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return 'claimed';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const status = (error as ConditionalCheckFailedException).Item?.status?.S;
      // Anything but a final status is treated as in progress: a retry costs a minute, a wrong 'done' loses the document.
      return status === 'processed' || status === 'rejected' ? 'done' : 'in-progress';
    }
  }

  /** Records the result and its cost on the item, if this delivery still holds the claim. */
  async complete(object: UploadedObject, deliveryId: string, result: PipelineResult): Promise<void> {
    await this.updateOwned(object, deliveryId, 'result', {
      UpdateExpression: 'SET #status = :processed, summary = :summary, model = :model, tier = :tier, inputTokens = :in, outputTokens = :out, '
        + 'cacheReadInputTokens = :cr, cacheWriteInputTokens = :cw, costUsd = :cost, processedAt = :at, requestId = :rid',
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
    });
  }

  /**
   * Records that the document was refused (too large, not text, invalid) and why, if this delivery still holds the
   * claim; it is not retried and costs nothing.
   */
  async reject(object: UploadedObject, deliveryId: string, code: string, reason: string): Promise<void> {
    await this.updateOwned(object, deliveryId, 'rejection', {
      UpdateExpression: 'SET #status = :rejected, rejectionCode = :code, reason = :reason, costUsd = :zero, processedAt = :at',
      ExpressionAttributeValues: {
        ':rejected': { S: 'rejected' }, ':code': { S: code }, ':reason': { S: reason }, ':zero': { N: '0' },
        ':at': { S: new Date(this.nowMs()).toISOString() },
      },
    });
  }

  /** Gives the claim up so that a retry of this delivery can process the document; a claim taken over is left alone. */
  async release(object: UploadedObject, deliveryId: string): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: this.key(object),
        ConditionExpression: 'deliveryId = :delivery',
        ExpressionAttributeValues: { ':delivery': { S: deliveryId } },
      }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /**
   * An update of the item that applies only while it names this delivery. When another delivery has taken the claim
   * over, its outcome stands: the update is skipped with a warning rather than failing an invocation whose work
   * the other delivery is redoing.
   */
  private async updateOwned(
    object: UploadedObject,
    deliveryId: string,
    what: string,
    update: { UpdateExpression: string; ExpressionAttributeValues: Record<string, AttributeValue> },
  ): Promise<void> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(object),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: 'deliveryId = :delivery',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':delivery': { S: deliveryId } },
      }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      logWarn(`claim taken over by another delivery; this delivery's ${what} is not recorded`, {
        key: object.key, versionId: claimVersion(object), deliveryId,
      });
    }
  }

  private key(object: UploadedObject) {
    return { objectKey: { S: object.key }, versionId: { S: claimVersion(object) } };
  }
}

/**
 * The sort key of an object's item: its version id, or for an unversioned bucket (where every version is 'null')
 * `null:<sequencer>`, so that each upload of the key is a version of its own.
 */
export function claimVersion(object: UploadedObject): string {
  return object.versionId === 'null' && object.sequencer ? `null:${object.sequencer}` : object.versionId;
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}
