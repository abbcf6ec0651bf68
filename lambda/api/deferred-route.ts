import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DEFERRED_DAY_PATTERN, DEFERRED_REQUEST_ID, deferredLocation, DeferredRecord } from '../../shared/contract';
import { PipelineError } from '../pipeline/errors';
import type { RequestIdentity } from '../pipeline/stages/validate-request';
import { containerDeferredStore } from '../composition/pipeline-runtime';
import type { S3DeferredStore } from './deferred-store';
import { callerIdentity, errorResponse, json } from './http';

/** The API Gateway resource of the route that returns a deferred call's result. */
export const DEFERRED_RESOURCE = '/deferred/{day}/{requestId}';

/** Whether the request is for `GET /deferred/{day}/{requestId}` (by its resource, or its path in local events). */
export function isDeferredRoute(event: APIGatewayProxyEvent): boolean {
  if (event?.resource === DEFERRED_RESOURCE) return true;
  return event?.resource === undefined && /^\/deferred(?:\/|$)/.test(event?.path ?? '');
}

/**
 * The answer to `GET /deferred/{day}/{requestId}` (see {@link deferredResult}), refusals included. No model is
 * called and nothing is charged or counted: it is not a spend path, so it records no request metric.
 */
export async function answerDeferredResult(event: APIGatewayProxyEvent, requestId: string, cors: Record<string, string>): Promise<APIGatewayProxyResult> {
  try {
    return await deferredResult(event, callerIdentity(event, requestId), containerDeferredStore(), { ...cors, 'x-genai-request-id': requestId });
  } catch (error) {
    return errorResponse(error, requestId, cors);
  }
}

/**
 * `GET /deferred/{day}/{requestId}`: what the scheduled run made of a call the API deferred, to its owner only: the same
 * API key or authorizer tenant (any user of that tenant), or for IAM the same principal in any session. The record
 * names its owner (from the authentication of the call that was deferred); any other caller,
 * like a call that was never deferred, gets the same 404, so an id tells nothing about another tenant's work.
 *
 * - 404 `DEFERRED_PENDING` to the owner before the run wrote a result (`details.runsAfter`: the end of the record's
 *   day, UTC, after which the scheduled run takes it);
 * - 200 with the run's outcome once written: `status: 'processed'` with the answer, model, usage and cost (what the
 *   tenant was charged, on demand at the scheduled workflow's service tier), `rejected` (refused before any model
 *   call, nothing charged) or `failed`, each with a code and reason;
 * - 400 for a day or id that is not one (`YYYY-MM-DD`; 1 to 128 letters, digits or . _ : @ -), 405 for a method but GET.
 */
export async function deferredResult(
  event: APIGatewayProxyEvent, identity: RequestIdentity, store: S3DeferredStore | undefined, headers: Record<string, string>,
): Promise<APIGatewayProxyResult> {
  if (!store) throw new PipelineError(404, 'NOT_FOUND', 'This workflow defers no calls (it has no deferTo); there is no /deferred route.');
  const method = event?.httpMethod ?? 'GET';
  if (method !== 'GET') throw new PipelineError(405, 'METHOD_NOT_ALLOWED', `/deferred/{day}/{requestId} accepts GET only, not ${method}.`, { method });
  const { day, requestId } = keyOf(event);
  const record = await store.record(day, requestId);
  if (!record || !ownedBy(record, identity)) {
    throw new PipelineError(404, 'NOT_FOUND', `No deferred call '${requestId}' on ${day} for this caller.`, { day, requestId });
  }
  const result = await store.result(day, requestId);
  const deferred = { day, location: deferredLocation(day, requestId) };
  if (!result || !FINAL_STATUSES.has(result.status)) {
    const runsAfter = nextDayStart(day);
    throw new PipelineError(404, 'DEFERRED_PENDING',
      `The deferred call '${requestId}' has not run yet: the scheduled run after ${day} ends (${runsAfter}) processes it. Poll again later.`,
      { requestId, deferred, runsAfter });
  }
  const { source: _source, ...outcome } = result;
  return json(200, { requestId, deferred, ...outcome }, headers);
}

// What a run leaves for good; `invoking` and `not-started` are its marks while (or before) it calls the model.
const FINAL_STATUSES = new Set(['processed', 'rejected', 'failed']);

/** The day and request id of the path, validated: they name S3 keys, so nothing but their own formats passes. */
function keyOf(event: APIGatewayProxyEvent): { day: string; requestId: string } {
  const params = event?.pathParameters ?? undefined;
  const parts = params?.day !== undefined || params?.requestId !== undefined
    ? [params?.day, params?.requestId]
    : (event?.path ?? '').replace(/\/+$/, '').split('/').slice(2);
  const [day, requestId, ...rest] = parts;
  if (rest.length > 0 || typeof day !== 'string' || !DEFERRED_DAY_PATTERN.test(day) || !isRealDay(day)) {
    throw new PipelineError(400, 'INVALID_REQUEST', `day: '${String(day ?? '').slice(0, 40)}' is not a UTC date; use the path the 202 gave (location), /deferred/YYYY-MM-DD/<request id>.`, { field: 'day' });
  }
  if (typeof requestId !== 'string' || !DEFERRED_REQUEST_ID.test(requestId)) {
    throw new PipelineError(400, 'INVALID_REQUEST', `requestId: '${String(requestId ?? '').slice(0, 140)}' is not a request id (1 to 128 letters, digits or . _ : @ -); use the path the 202 gave (location).`, { field: 'requestId' });
  }
  return { day, requestId };
}

/**
 * Whether the caller is the one the record was deferred for, by the same rules that named it
 * (`validate-request.ts`): an authorizer's or API key's tenant (`<source>:<tenant>`); an IAM caller by its
 * principal, under which its users were named (`<principal>` or `<principal>/<userId>`), whatever tenant it acted for.
 */
function ownedBy(record: DeferredRecord, identity: RequestIdentity): boolean {
  if (identity.userPrincipal !== undefined) {
    return record.tenantId.startsWith('iam:') && (record.userId === identity.userPrincipal || record.userId.startsWith(`${identity.userPrincipal}/`));
  }
  if (identity.tenantId === undefined || identity.tenantSource === undefined) return false;
  return record.tenantId === `${identity.tenantSource}:${identity.tenantId}`;
}

// The pattern lets 2026-02-30 through; the calendar does not.
function isRealDay(day: string): boolean {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === day;
}

function nextDayStart(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
}
