import { DEFERRED_PREFIX, DEFERRED_REQUEST_ID, DeferredRecord, deferredResultName, StoredReservation } from '../../shared/contract';
import { containerPipeline } from '../composition/pipeline-runtime';
import { PipelineError } from '../pipeline/errors';
import { NO_SPEND } from '../pipeline/guards';
import { isStoredReservation, restoreReservation } from '../pipeline/spend';
import type { PipelineResult } from '../pipeline/types';
import { parseJsonBody, TenantSource } from '../pipeline/stages/validate-request';

/** The code of a deferred record the runner cannot read as one (the reason says which field). */
export const INVALID_DEFERRED_RECORD = 'INVALID_DEFERRED_RECORD';

// The pipeline's id alphabet, for the user id the record carries (the tenant is checked by the pipeline itself).

/** The prefix of a day's deferred records in the input bucket. */
export function deferredDayPrefix(day: string): string {
  return `${DEFERRED_PREFIX}${day}/`;
}

/**
 * The request id a deferred record's key names (`deferred/<day>/<request id>.json`), or undefined for a key that
 * names none: such an object gets no result, since its result would have no name the API could ask for.
 */
export function deferredRequestIdOf(day: string, key: string): string | undefined {
  const file = key.slice(deferredDayPrefix(day).length);
  if (!key.startsWith(deferredDayPrefix(day)) || !file.endsWith('.json')) return undefined;
  const requestId = file.slice(0, -'.json'.length);
  return DEFERRED_REQUEST_ID.test(requestId) ? requestId : undefined;
}

/** A deferred record's result name among the day's results. */
export function deferredNameOf(day: string, key: string): string | undefined {
  const requestId = deferredRequestIdOf(day, key);
  return requestId === undefined ? undefined : deferredResultName(requestId);
}

/** A deferred record read and checked: who it runs as, and the request body the pipeline validates like an API body. */
export interface ReadDeferredRecord {
  readonly requestId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly body: Record<string, unknown>;
  /** The spend the API reserved when it accepted the call; absent from records written before deferrals were. */
  readonly reservation?: StoredReservation;
}

/**
 * Reads a deferred record's JSON. The identity it carries is trusted because only the API's role may write under
 * `deferred/` (the construct grants no one else); the rest is validated by the pipeline as an API body would be.
 * Throws a 400 {@link INVALID_DEFERRED_RECORD} naming what is wrong.
 */
export function readDeferredRecord(text: string, expectedRequestId: string): ReadDeferredRecord {
  let parsed: unknown;
  try {
    parsed = parseJsonBody(text, false);
  } catch (error) {
    if (error instanceof PipelineError && error.code === 'BODY_TOO_LARGE') throw invalid('body', `is too large. ${error.message}`);
    throw invalid('body', 'is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('body', 'is not a JSON object.');
  const record = parsed as Partial<Record<keyof DeferredRecord, unknown>>;
  if (record.version !== 1) throw invalid('version', `is ${JSON.stringify(record.version)}; this runner reads version 1.`);
  if (record.requestId !== expectedRequestId) {
    throw invalid('requestId', `is ${JSON.stringify(record.requestId)}, but the record's key names '${expectedRequestId}'.`);
  }
  // What the API's authentication can give (an authorizer's principal of up to 512 characters, an IAM principal with
  // the body's user after a '/'), not the body's id alphabet: a call the API accepted must not be refused here.
  if (!isIdentityPart(record.tenantId)) throw invalid('tenantId', `must be a string of 1 to ${MAX_IDENTITY_CHARS} characters.`);
  if (!isIdentityPart(record.userId)) throw invalid('userId', `must be a string of 1 to ${MAX_IDENTITY_CHARS} characters.`);
  const reservation = record.reservation;
  if (reservation !== undefined && !isStoredReservation(reservation)) throw invalid('reservation', 'is not a stored reservation (requestId, tenantId, userId, feature, reservedAt, estimate, holds).');
  if (reservation !== undefined && reservation.tenantId !== record.tenantId) {
    throw invalid('reservation', `was taken for tenant '${reservation.tenantId}', but the record runs as '${record.tenantId}'.`);
  }
  return {
    requestId: expectedRequestId,
    tenantId: record.tenantId,
    userId: record.userId,
    // The API body's field names: the pipeline validates the rest (message, prompt parts, feature, run ids,
    // maxTokens) as it did at the API.
    body: {
      message: record.message,
      feature: record.feature,
      system: record.systemPrompt,
      context: record.context,
      history: record.history,
      maxOutputTokens: record.maxTokens,
      runId: record.runId,
      parentRunId: record.parentRunId,
    },
    ...(reservation !== undefined ? { reservation } : {}),
  };
}

/**
 * Runs a deferred record through the container's pipeline as the request it was: its tenant, user, feature and run
 * ids, charged to that tenant's limits. Under the reservation the API took when it accepted the call, when the
 * record carries one: nothing is reserved again, and that hold is settled to what the call billed (to nothing on a
 * cache hit). `pipelineRequestId` is the record's id in the pipeline's records.
 */
export function runDeferredRecord(pipelineRequestId: string, record: ReadDeferredRecord): Promise<PipelineResult> {
  return containerPipeline().handle(record.body, { requestId: pipelineRequestId, ...tenantOf(record.tenantId), userId: record.userId },
    record.reservation ? { reservation: record.reservation } : {});
}

// The API stored the tenant with its source (`authorizer:<tenant>`); the pipeline checks the tenant without it, as it
// did at the API, and prefixes it again: the same ledger keys, and a tenant of up to 128 characters after its prefix.
function tenantOf(stored: string): { tenantId: string; tenantSource?: TenantSource } {
  const match = /^(authorizer|key|iam):(.+)$/s.exec(stored);
  return match ? { tenantSource: match[1] as TenantSource, tenantId: match[2] } : { tenantId: stored };
}

const MAX_IDENTITY_CHARS = 1024;

function isIdentityPart(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_IDENTITY_CHARS;
}

/**
 * Gives back the reservation a refused deferred record carries (nothing was called for it), when its text holds a
 * well-formed one; the ledger settles a hold once, so a repeat gives back nothing. Returns how many guards could not
 * (each logged by the spend port): such a hold is settled at its bound when it expires.
 */
export async function releaseDeferredReservation(text: string): Promise<number> {
  let stored: unknown;
  try {
    stored = (JSON.parse(text) as { reservation?: unknown } | null)?.reservation;
  } catch {
    return 0;
  }
  if (!isStoredReservation(stored)) return 0;
  const { context, reservation } = restoreReservation(stored, Date.now());
  return containerPipeline().spend.settle({ ...context, requestId: `${context.requestId}:rejected` }, reservation, NO_SPEND);
}

function invalid(field: string, message: string): PipelineError {
  return new PipelineError(400, INVALID_DEFERRED_RECORD, `The deferred record's ${field} ${message}`, { field });
}
