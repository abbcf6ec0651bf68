import type { S3Client } from '@aws-sdk/client-s3';
import {
  DEFERRED_DAY_PATTERN, DEFERRED_REQUEST_ID, deferredLocation, deferredRecordKey, deferredResultName, DeferredReceipt, DeferredRecord, DeferredResult, ENV,
  StoredReservation,
} from '../../shared/contract';
import { PipelineError } from '../pipeline/errors';
import { BucketObjects } from '../scheduled/batch/objects';
import { logError } from '../shared/log';
import type { GenAiRequest } from '../pipeline/types';

/** Where the API writes deferred records and reads their results, as the construct sets them (`deferTo`). */
export interface DeferralSettings {
  /** The scheduled workflow's input bucket: records go under `deferred/<day>/`. */
  readonly bucket: string;
  /** The scheduled workflow's results bucket and prefix: a result is `<resultsPrefix><day>/deferred-<id>.json`. */
  readonly resultsBucket: string;
  readonly resultsPrefix: string;
}

/**
 * The deferral settings, or undefined when the workflow defers nothing (no `deferTo`: the bucket is unset). A bucket
 * without its results bucket and prefix is a deployment mistake, and throws.
 */
export function readDeferralSettings(env: NodeJS.ProcessEnv = process.env): DeferralSettings | undefined {
  const bucket = env[ENV.deferredBucket];
  if (!bucket) return undefined;
  const resultsBucket = env[ENV.deferredResultsBucket];
  const resultsPrefix = env[ENV.deferredResultsPrefix];
  if (!resultsBucket || resultsPrefix === undefined) {
    throw new Error(`${ENV.deferredBucket} is set but ${ENV.deferredResultsBucket} or ${ENV.deferredResultsPrefix} is not; the API workflow's deferTo sets all three.`);
  }
  return { bucket, resultsBucket, resultsPrefix };
}

/**
 * Deferred calls in S3: the API's side of `NearLimitAction.DEFER`. {@link defer} writes the call as a
 * {@link DeferredRecord} under `deferred/<day>/<request id>.json` of the scheduled workflow's input bucket, where the
 * next run picks it up; {@link record} and {@link result} read it and its result back for `GET /deferred/...`.
 */
export class S3DeferredStore {
  private readonly records: BucketObjects;
  private readonly results: BucketObjects;

  constructor(s3: S3Client, readonly settings: DeferralSettings, private readonly now: () => number = Date.now) {
    this.records = new BucketObjects(s3, settings.bucket);
    this.results = new BucketObjects(s3, settings.resultsBucket);
  }

  /**
   * Writes the call's record, with the reservation that keeps its spend, and returns where its result will be. The
   * identity is the request's, which came from the caller's authentication (never the body's claim). The write is
   * conditional (`If-None-Match: *`): a retried request (same request id, same day) finds its record there and gets
   * the same receipt (`written` false: the caller gives its new reservation back), never a second record to run and
   * charge. A record that cannot be written is a 503 the caller may retry (the caller gives the reservation back).
   */
  async defer(request: GenAiRequest, degradedBy: string | undefined, reservation?: StoredReservation): Promise<{ readonly receipt: DeferredReceipt; readonly written: boolean }> {
    if (!DEFERRED_REQUEST_ID.test(request.requestId)) {
      // API Gateway's request ids are UUIDs; anything else would be a key we did not choose.
      throw new PipelineError(400, 'INVALID_REQUEST_ID', `The request id '${request.requestId.slice(0, 140)}' cannot name a deferred record (1 to 128 letters, digits or . _ : @ -); the call was not accepted.`);
    }
    const acceptedAt = new Date(this.now());
    const day = acceptedAt.toISOString().slice(0, 10);
    const record: DeferredRecord = {
      version: 1,
      requestId: request.requestId,
      tenantId: request.tenantId,
      userId: request.userId,
      feature: request.feature,
      message: request.message,
      ...(request.systemPrompt !== undefined ? { systemPrompt: request.systemPrompt } : {}),
      ...(request.context !== undefined ? { context: request.context } : {}),
      ...(request.history.length > 0 ? { history: request.history } : {}),
      ...(request.hints.maxOutputTokens !== undefined ? { maxTokens: request.hints.maxOutputTokens } : {}),
      ...(request.runId !== undefined ? { runId: request.runId } : {}),
      ...(request.parentRunId !== undefined ? { parentRunId: request.parentRunId } : {}),
      acceptedAt: acceptedAt.toISOString(),
      ...(degradedBy !== undefined ? { degradedBy } : {}),
      ...(reservation !== undefined ? { reservation } : {}),
    };
    let written: boolean;
    try {
      // False when the key exists: the same request was accepted before, and its record stands as first written.
      written = await this.records.putJson(deferredRecordKey(day, request.requestId), record, { onlyIfAbsent: true });
    } catch (error) {
      logError('deferred record not written', { requestId: request.requestId, day, error: String(error) });
      throw new PipelineError(503, 'DEFERRAL_UNAVAILABLE', 'The call could not be accepted for later (its record was not written); it was not charged. Retry shortly.', { retryAfterSeconds: 5 });
    }
    return { receipt: { requestId: request.requestId, day, location: deferredLocation(day, request.requestId) }, written };
  }

  /** The deferred record of `requestId` on `day`, or undefined when there is none. */
  async record(day: string, requestId: string): Promise<DeferredRecord | undefined> {
    assertKeyParts(day, requestId);
    return this.records.getJson<DeferredRecord>(deferredRecordKey(day, requestId));
  }

  /** What the scheduled run wrote for the record, or undefined before it ran. */
  async result(day: string, requestId: string): Promise<DeferredResult | undefined> {
    assertKeyParts(day, requestId);
    // A missing key reads as absent (404) only to a role allowed s3:ListBucket on it: the construct grants that.
    return this.results.getJson<DeferredResult>(`${this.settings.resultsPrefix}${day}/${deferredResultName(requestId)}.json`);
  }
}

// Keys are built only from validated parts: a day and an id that cannot leave their folder.
function assertKeyParts(day: string, requestId: string): void {
  if (!DEFERRED_DAY_PATTERN.test(day) || !DEFERRED_REQUEST_ID.test(requestId)) {
    throw new Error(`invalid deferred key parts: day '${day}', request id '${requestId}'`);
  }
}
