import { ENV } from '../../shared/contract';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PipelineError } from '../pipeline/errors';
import { mayHaveBilled } from '../pipeline/stages/invoke-model';
import { dynamoDbClient, s3Client } from '../shared/clients';
import { required } from '../shared/required-env';
import type { PipelineResult } from '../pipeline/types';
import { claimVersion, DEFAULT_CLAIM_STALE_SECONDS, DocumentClaims, DocumentInProgressError, UnsavedClaim } from './document-claims';
import { logError, logInfo, logWarn } from '../shared/log';
import { uploadedObjects, UploadedObject } from './s3-events';
import { runTextRequest } from '../shared/text-request';

const resultsTable = required(process.env, ENV.resultsTable);
/** Objects above this are refused without being read: no text of that size fits a prompt limit. */
const MAX_DOCUMENT_BYTES = Number(process.env[ENV.maxDocumentBytes] ?? 5 * 1024 * 1024);
const DOCUMENT_INSTRUCTIONS = 'Summarize the document in at most five sentences, then list its key facts.';
/** Set by the construct to the function's timeout plus a minute: no live invocation's claim is ever taken over. */
const CLAIM_STALE_SECONDS = Number(process.env[ENV.claimStaleSeconds] ?? DEFAULT_CLAIM_STALE_SECONDS);
/** Content types that are never text, whatever the bytes look like. application/octet-stream is left to the bytes. */
const BINARY_CONTENT_TYPE = /^(image|audio|video|font)\/|^application\/(pdf|zip|gzip|x-gzip|x-tar|x-bzip2|x-7z-compressed|x-rar-compressed|msword|vnd\.ms-|vnd\.openxmlformats-officedocument\.|vnd\.oasis\.opendocument\.)/;
/** How much of the start is searched for a NUL byte. */
const SNIFF_BYTES = 8 * 1024;
/** The share of U+FFFD (bytes that are not UTF-8) above which the document is not taken for UTF-8 text. */
const MAX_INVALID_SHARE = 0.01;

/** The outcome for one object. */
export interface DocumentResult {
  readonly key: string;
  readonly versionId: string;
  /** `failed`: an earlier attempt reached the model and its outcome was not saved; see `reason`. */
  readonly status: 'processed' | 'duplicate' | 'rejected' | 'failed';
  readonly reason?: string;
  readonly costUsd?: number;
}

/** What the handler uses of Lambda's context. */
export interface DocumentContext {
  /** The same for every retry of one asynchronous invocation: the delivery that owns a claim. */
  readonly awsRequestId?: string;
  readonly getRemainingTimeInMillis?: () => number;
}

/**
 * Retries of a result write that failed after a billed model call, 100, 200 and 400 ms apart: a write that failed
 * through the SDK's own retries is most often a brief throttle or 5xx, and under a second is nothing next to the
 * model call that giving up would waste.
 */
const RESULT_WRITE_RETRIES = 3;
const RESULT_WRITE_BASE_DELAY_MS = 100;
/** No retry of the result write starts with less time than this left: the failure must still be logged. */
const RESULT_WRITE_MARGIN_MS = 1_000;
/**
 * Answers this container bought but could not save, by claim and delivery. Lambda's retry (a minute later) may run
 * in the same warm container; it then saves the answer instead of recording RESULT_NOT_SAVED. Bounded, and a few
 * kilobytes each.
 */
const unsavedResults = new Map<string, PipelineResult>();
const MAX_UNSAVED_RESULTS = 50;

let claims: DocumentClaims | undefined;

/**
 * S3 object created (EventBridge or S3 notification) → the request pipeline on the document's text → a result item
 * keyed by object key and version, processed and charged once (see {@link DocumentClaims} for the phases):
 *
 * - A repeated delivery of a finished version is a `duplicate`. One that arrives while another delivery holds a
 *   fresh claim fails with {@link DocumentInProgressError}, for Lambda to retry. A retry of this delivery (the same
 *   request id) re-takes its own claim, so the retry of an invocation that crashed processes the document.
 * - A document over the size or prompt limit, or one that is not text, is recorded as rejected with the reason,
 *   never truncated or sent to the model.
 * - Once the model has been called, the document is never sent to it again: a result that cannot be saved is
 *   logged in full and the invocation fails; the retry saves it if it runs in the same container, and otherwise
 *   records the item as `failed` (`RESULT_NOT_SAVED`), pointing to the logs.
 */
export async function handler(event: unknown, context?: DocumentContext): Promise<{ results: DocumentResult[] }> {
  claims ??= new DocumentClaims(dynamoDbClient(), resultsTable, CLAIM_STALE_SECONDS);
  const objects = uploadedObjects(event);
  if (objects.length === 0) logWarn('event announces no created object', { event });
  const deliveryId = context?.awsRequestId ?? `local-${Date.now()}`;
  const remainingMs = context?.getRemainingTimeInMillis?.bind(context) ?? (() => Number.POSITIVE_INFINITY);
  const results: DocumentResult[] = [];
  for (const object of objects) results.push(await processObject(object, deliveryId, remainingMs));
  return { results };
}

async function processObject(object: UploadedObject, deliveryId: string, remainingMs: () => number): Promise<DocumentResult> {
  const base = { key: object.key, versionId: object.versionId };
  const claim = await claims!.claim(object, deliveryId);
  if (claim.outcome === 'done') {
    logInfo('duplicate delivery ignored', base);
    return { ...base, status: 'duplicate' };
  }
  // Not a duplicate to drop: the holder may have died. Failing makes Lambda retry (then use the DLQ).
  if (claim.outcome === 'in-progress') throw new DocumentInProgressError(object.key, object.versionId);
  if (claim.outcome === 'unsaved') return settleUnsaved(object, deliveryId, claim.unsaved, remainingMs);

  if (object.size > MAX_DOCUMENT_BYTES) {
    return reject(object, deliveryId, 'DOCUMENT_TOO_LARGE', `The document has ${object.size} bytes; at most ${MAX_DOCUMENT_BYTES} are processed.`);
  }
  let document: { text: string } | { reason: string };
  try {
    const response = await s3Client().send(new GetObjectCommand({
      Bucket: object.bucket, Key: object.key, VersionId: object.versionId === 'null' ? undefined : object.versionId,
    }));
    document = documentText(response.ContentType, await response.Body!.transformToByteArray());
  } catch (error) {
    return giveBack(object, deliveryId, error);
  }
  if ('reason' in document) return reject(object, deliveryId, 'UNSUPPORTED_CONTENT', document.reason);

  let invoking: boolean;
  try {
    invoking = await claims!.startInvoking(object, deliveryId);
  } catch (error) {
    return giveBack(object, deliveryId, error);
  }
  if (!invoking) {
    // Only an invocation that outlived the stale window loses its claim; the delivery that took it does the work.
    logWarn('claim taken over by another delivery before the model call; not calling the model', { ...base, deliveryId });
    throw new DocumentInProgressError(object.key, object.versionId);
  }

  let result: PipelineResult;
  try {
    result = await runTextRequest(`${deliveryId}:${object.key}`, 's3', document.text, DOCUMENT_INSTRUCTIONS);
  } catch (error) {
    if (error instanceof PipelineError && error.status < 429) return reject(object, deliveryId, error.code, error.message);
    // Throttled, unavailable or out of time between attempts: Bedrock billed nothing, so the claim goes back for
    // Lambda's retry. A call cut off mid-way (deadline, connection lost) may have been billed: the claim stays below.
    if (error instanceof PipelineError && !mayHaveBilled(error)) return giveBack(object, deliveryId, error);
    // Anything else may have come after a billed call: the claim stays `invoking`, so no retry calls the model again.
    logError('document pipeline failed; the claim stays invoking, so that no retry calls the model again', {
      ...base, deliveryId, error: String(error),
    });
    throw error;
  }
  await saveResult(object, deliveryId, result, remainingMs);
  logInfo('document processed', { ...base, model: result.model.id, usage: result.usage, costUsd: result.cost.totalUsd });
  return { ...base, status: 'processed', costUsd: result.cost.totalUsd };
}

/**
 * Writes a bought result, retrying in-process with exponential backoff: most failed writes are transient, and
 * giving the claim back instead would have the retry pay for the model call again. If every attempt fails, the
 * full result goes to the log at error level (nothing bought is lost), is kept for a retry in this container, and
 * the error is rethrown with the claim left `invoking`.
 */
async function saveResult(object: UploadedObject, deliveryId: string, result: PipelineResult, remainingMs: () => number): Promise<void> {
  for (let retry = 0; ; retry++) {
    try {
      await claims!.complete(object, deliveryId, result);
      unsavedResults.delete(unsavedKey(object, deliveryId));
      return;
    } catch (error) {
      const delayMs = RESULT_WRITE_BASE_DELAY_MS * 2 ** retry;
      if (retry < RESULT_WRITE_RETRIES && remainingMs() - delayMs > RESULT_WRITE_MARGIN_MS) {
        logWarn('document result write failed; retrying', { key: object.key, versionId: object.versionId, deliveryId, retry: retry + 1, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        continue;
      }
      logError('document result not saved; the model call was billed, its result follows', {
        key: object.key, versionId: object.versionId, deliveryId, requestId: result.requestId, model: result.model.id,
        answer: result.answer, stopReason: result.stopReason, usage: result.usage, costUsd: result.cost.totalUsd, cost: result.cost,
        error: String(error),
      });
      keepUnsaved(object, deliveryId, result);
      throw error;
    }
  }
}

/**
 * An earlier attempt reached the model and died before saving its outcome. Its answer, if this container holds it,
 * is saved now. Otherwise the item is recorded as failed rather than calling (and paying for) the model again.
 */
async function settleUnsaved(object: UploadedObject, deliveryId: string, unsaved: UnsavedClaim, remainingMs: () => number): Promise<DocumentResult> {
  const base = { key: object.key, versionId: object.versionId };
  const kept = unsavedResults.get(unsavedKey(object, unsaved.deliveryId));
  if (kept) {
    await saveResult(object, unsaved.deliveryId, kept, remainingMs);
    logInfo('document processed: an earlier attempt\'s result saved', { ...base, earlierDeliveryId: unsaved.deliveryId, deliveryId, costUsd: kept.cost.totalUsd });
    return { ...base, status: 'processed', costUsd: kept.cost.totalUsd };
  }
  const reason = `An earlier attempt (request id ${unsaved.deliveryId}) started the model call and its result was not saved; `
    + 'the document is not sent to the model again, so that it is not charged twice. Its answer, if it got one, is in the '
    + `function's logs under request id ${unsaved.deliveryId}. Upload the object again (a new version) to process it again.`;
  if (!(await claims!.failUnsaved(object, unsaved, deliveryId, 'RESULT_NOT_SAVED', reason))) {
    logInfo('earlier attempt\'s outcome already recorded by another delivery', { ...base, earlierDeliveryId: unsaved.deliveryId, deliveryId });
    return { ...base, status: 'duplicate' };
  }
  logError('document not processed: an earlier attempt\'s result was not saved', {
    ...base, code: 'RESULT_NOT_SAVED', earlierDeliveryId: unsaved.deliveryId, deliveryId,
  });
  return { ...base, status: 'failed', reason };
}

/**
 * Records a rejection (free: nothing was billed). If that write fails, the claim is given back (best effort) and the
 * error rethrown, so that Lambda's retry redoes the rejection instead of the claim staying `processing`.
 */
async function reject(object: UploadedObject, deliveryId: string, code: string, reason: string): Promise<DocumentResult> {
  try {
    await claims!.reject(object, deliveryId, code, reason);
  } catch (error) {
    return giveBack(object, deliveryId, error);
  }
  return { key: object.key, versionId: object.versionId, status: 'rejected', reason };
}

/**
 * Gives the claim back after a failure that spent nothing and rethrows it, so that Lambda's retry (then the DLQ)
 * takes the document. Best effort: if the release fails too, the original error is the one that matters. The retry
 * then re-takes its own `processing` claim; an `invoking` one (a model failure whose release failed) it records as
 * RESULT_NOT_SAVED, the side to err on when it cannot tell whether the model billed.
 */
async function giveBack(object: UploadedObject, deliveryId: string, error: unknown): Promise<never> {
  try {
    await claims!.release(object, deliveryId);
  } catch (releaseError) {
    logWarn('claim not given back', { key: object.key, versionId: object.versionId, deliveryId, error: String(releaseError) });
  }
  throw error;
}

function unsavedKey(object: UploadedObject, deliveryId: string): string {
  return JSON.stringify([object.key, claimVersion(object), deliveryId]);
}

function keepUnsaved(object: UploadedObject, deliveryId: string, result: PipelineResult): void {
  // Oldest first out: a Map iterates in insertion order.
  if (unsavedResults.size >= MAX_UNSAVED_RESULTS) unsavedResults.delete(unsavedResults.keys().next().value!);
  unsavedResults.set(unsavedKey(object, deliveryId), result);
}

/**
 * The document's text, or why it is not text. A binary file decoded as UTF-8 is noise the model would be paid to
 * read, so it is refused before the pipeline: by a content type that is never text, a NUL byte near the start
 * (which no text encoding but UTF-16/32 produces, and those are not read here), or more than 1% of the characters
 * not being valid UTF-8. A stray bad byte in real text stays under that share.
 */
function documentText(contentType: string | undefined, bytes: Uint8Array): { text: string } | { reason: string } {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (type && BINARY_CONTENT_TYPE.test(type)) return { reason: `The document's content type is ${type}; only text documents are processed.` };
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) {
    return { reason: `The document has a NUL byte in its first ${SNIFF_BYTES} bytes, so it is binary${type ? ` (${type})` : ''}; only text documents are processed.` };
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const invalid = text.match(/\uFFFD/g)?.length ?? 0;
  if (invalid > text.length * MAX_INVALID_SHARE) {
    return { reason: `${invalid} of the document's ${text.length} characters are not valid UTF-8 (at most ${MAX_INVALID_SHARE * 100}% may be); only UTF-8 text documents are processed.` };
  }
  return { text };
}
