import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PipelineResult } from '../pipeline/types';
import { logWarn } from '../shared/log';
import type { UploadedObject } from './s3-events';

/**
 * How long a claim protects a document when `CLAIM_STALE_SECONDS` is not set: Lambda's longest timeout (900 s) plus
 * a minute, so that no live invocation can lose its claim. The construct sets the variable to its own handler's
 * timeout plus a minute.
 */
export const DEFAULT_CLAIM_STALE_SECONDS = 960;

/**
 * What {@link DocumentClaims.claim} found:
 * - `claimed`: this delivery owns the object version (a new claim, a stale one taken over, or its own re-taken).
 * - `done`: it was processed, rejected or failed already.
 * - `in-progress`: another delivery holds a claim that is not yet stale.
 * - `unsaved`: an earlier attempt (this delivery's own, or another delivery's now stale) marked the claim `invoking`
 *   and died: it reached the model and its outcome was not saved. See {@link UnsavedClaim}.
 */
export type ClaimOutcome =
  | { readonly outcome: 'claimed' | 'done' | 'in-progress' }
  | { readonly outcome: 'unsaved'; readonly unsaved: UnsavedClaim };

/** A claim left in phase `invoking` by an attempt that died: who held it and since when, to write over it safely. */
export interface UnsavedClaim {
  readonly deliveryId: string;
  readonly claimedAt: number;
}

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
 * Idempotency for the document workflow: one item per object version in the results table, whose `status` moves
 * through phases:
 *
 * - `processing`: claimed by a delivery (Lambda's request id) with a conditional write. Nothing has been spent, so
 *   the claim may be given back ({@link DocumentClaims.release}), re-taken by the same delivery (Lambda's async retries re-deliver
 *   the event with the same request id, and only after the earlier attempt ended), or taken over by any delivery
 *   once stale.
 * - `invoking`: set right before the model call ({@link DocumentClaims.startInvoking}). From here Bedrock may have billed, so the
 *   claim is never re-taken or taken over to call the model again: an attempt that finds it (its own, or another
 *   delivery's stale one) records the item as `failed` with `RESULT_NOT_SAVED` ({@link DocumentClaims.failUnsaved}) instead.
 *   The claim is still given back after a model failure that Bedrock did not bill (throttled, unavailable).
 * - `processed`, `rejected`, `failed`: final. A repeated delivery finds one and does nothing, so the document is
 *   processed, and charged, once; a new version (a re-upload) has an item of its own.
 *
 * Every write after the claim is conditional on the item still naming the delivery: an invocation that outlived its
 * claim (which another delivery then took over) cannot overwrite the new owner's outcome.
 */
export class DocumentClaims {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** A claim older than this belongs to an invocation that died; a redelivery may take it over. */
    private readonly staleClaimSeconds: number = DEFAULT_CLAIM_STALE_SECONDS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Claims the object version for this delivery, unless it is done, another delivery holds a fresh claim, or an
   * earlier attempt left it `invoking`.
   */
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
        // A delivery's own `processing` claim is its earlier attempt's, which has ended (Lambda retries only after it
        // failed or timed out): re-taking it is what lets the retry of a crashed invocation process the document.
        ConditionExpression: 'attribute_not_exists(objectKey) OR (#status = :processing AND (claimedAt < :stale OR deliveryId = :delivery))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':processing': { S: 'processing' }, ':stale': { N: String(now - this.staleClaimSeconds) }, ':delivery': { S: deliveryId },
        },
        // The item that blocked the claim says whether it is finished or still being worked on, without a read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { outcome: 'claimed' };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return blockedBy((error as ConditionalCheckFailedException).Item, deliveryId, now - this.staleClaimSeconds);
    }
  }

  /**
   * Moves this delivery's claim to `invoking`, right before the model call; false if another delivery has taken it
   * over. This costs one more DynamoDB write per document. On this asynchronous path that is cheap next to a model
   * call, and it is what tells a retry whether an earlier attempt may already have been billed.
   */
  startInvoking(object: UploadedObject, deliveryId: string): Promise<boolean> {
    return this.conditionalUpdate(object, {
      UpdateExpression: 'SET #status = :invoking, invokingAt = :at',
      ConditionExpression: 'deliveryId = :delivery AND #status = :processing',
      ExpressionAttributeValues: { ':invoking': { S: 'invoking' }, ':processing': { S: 'processing' }, ':delivery': { S: deliveryId } },
    });
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
      },
    });
  }

  /**
   * Records as `failed` an item whose earlier attempt reached the model and died before saving the outcome, if the
   * item is still that attempt's `invoking` claim. False if something else was written first (another delivery
   * recorded it), in which case that stands. The cost is not recorded: it is not known.
   */
  failUnsaved(object: UploadedObject, unsaved: UnsavedClaim, recordedBy: string, code: string, reason: string): Promise<boolean> {
    return this.conditionalUpdate(object, {
      UpdateExpression: 'SET #status = :failed, failureCode = :code, reason = :reason, recordedBy = :by, processedAt = :at',
      ConditionExpression: '#status = :invoking AND deliveryId = :delivery AND claimedAt = :claimedAt',
      ExpressionAttributeValues: {
        ':failed': { S: 'failed' }, ':code': { S: code }, ':reason': { S: reason }, ':by': { S: recordedBy },
        ':invoking': { S: 'invoking' }, ':delivery': { S: unsaved.deliveryId }, ':claimedAt': { N: String(unsaved.claimedAt) },
      },
    });
  }

  /**
   * Gives the claim up so that a retry, or another delivery, can process the document; a claim taken over is left
   * alone. Only for work that spent nothing: before the model call, or after one that Bedrock did not bill.
   */
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
    const applied = await this.conditionalUpdate(object, {
      UpdateExpression: update.UpdateExpression,
      ConditionExpression: 'deliveryId = :delivery',
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':delivery': { S: deliveryId } },
    });
    if (!applied) {
      logWarn(`claim taken over by another delivery; this delivery's ${what} is not recorded`, {
        key: object.key, versionId: claimVersion(object), deliveryId,
      });
    }
  }

  /**
   * One conditional update of the item, stamped with the time as `:at` and `#status` named: true when it applied,
   * false when its condition did not hold (another delivery wrote first).
   */
  private async conditionalUpdate(
    object: UploadedObject,
    update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, AttributeValue> },
  ): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(object),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: update.ConditionExpression,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':at': { S: new Date(this.nowMs()).toISOString() } },
      }));
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
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

const FINAL_STATUSES = new Set(['processed', 'rejected', 'failed']);

/** What the item that blocked a claim means for the delivery that tried. */
function blockedBy(item: Record<string, AttributeValue> | undefined, deliveryId: string, staleBefore: number): ClaimOutcome {
  const status = item?.status?.S;
  if (status !== undefined && FINAL_STATUSES.has(status)) return { outcome: 'done' };
  const holder = item?.deliveryId?.S;
  const claimedAt = Number(item?.claimedAt?.N);
  if (status === 'invoking' && holder !== undefined && Number.isFinite(claimedAt) && (holder === deliveryId || claimedAt < staleBefore)) {
    return { outcome: 'unsaved', unsaved: { deliveryId: holder, claimedAt } };
  }
  // Anything else is treated as in progress: a retry costs a minute, a wrong 'done' loses the document.
  return { outcome: 'in-progress' };
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}
