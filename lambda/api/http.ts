import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { SpendPath } from '../../shared/contract';
import { API_EXPOSED_HEADERS, DEGRADED_HEADER, ENV } from '../../shared/contract';
import { Degradation, degradedHeaderValue } from '../pipeline/stages/near-limit';
import { PipelineError } from '../pipeline/errors';
import type { LimitStatus, RunRemaining } from '../pipeline/guards/spend-guard';
import { parseJsonBody, RequestIdentity } from '../pipeline/stages/validate-request';
import { logError } from '../shared/log';
import { containerPipeline } from '../composition/pipeline-runtime';

// The HTTP side both API handlers share (buffered `handler.ts`, streaming `stream-handler.ts`): the routes, the
// caller's identity, CORS, the limit headers and the JSON error answers, so that both answer a request alike.

// Origins the construct allows (CORS): with a proxy integration the function itself must answer with them.
const allowedOrigins: ReadonlyArray<string> = parseOrigins(process.env[ENV.allowedOrigins]);

/** The routes the API serves, each on one spend path. */
export const ROUTES: Readonly<Record<string, SpendPath>> = { '/invoke': 'converse', '/embed': 'embedding' };

/** Which route the request is for: only `POST /invoke` and `POST /embed` are served. */
export function routeOf(event: APIGatewayProxyEvent): SpendPath {
  // `resource` is the route as defined (a custom domain's base path is not part of it); `path` for local events.
  const route = (event?.resource ?? event?.path ?? '').replace(/\/+$/, '');
  const path = Object.prototype.hasOwnProperty.call(ROUTES, route) ? ROUTES[route] : undefined;
  if (!path) throw new PipelineError(404, 'NOT_FOUND', `There is no route ${route || '/'}; use POST /invoke or POST /embed.`, { route });
  const method = event?.httpMethod ?? 'POST';
  if (method !== 'POST') throw new PipelineError(405, 'METHOD_NOT_ALLOWED', `${route} accepts POST only, not ${method}.`, { route, method });
  return path;
}

/**
 * Who the caller is, from how API Gateway authenticated it, never from the body (a body can claim anyone):
 *
 * - an authorizer: tenant `authorizer:<tenantId>` from its context, user its `principalId` (a Lambda authorizer)
 *   or the token's `claims.sub` (a Cognito user pool authorizer). A present authorizer that gives no usable tenant
 *   or principal is refused with 403, never replaced by the body's claim;
 * - an API key: each key is a tenant of its own, `key:<api key id>`, and its one user: whoever holds the key is it;
 * - IAM (SigV4): a trusted backend that names the tenant it acts for in the body (`iam:<tenantId>`). Its users are
 *   its own: the body's `userId` becomes a sub-id under the signing principal's unique id
 *   (`AROA…/<userId>`: the role, not its session), which no other principal can name.
 *
 * An event with none of these (not from a method this library deploys) is refused with 403.
 */
export function callerIdentity(event: APIGatewayProxyEvent, requestId: string): RequestIdentity {
  const authorizer = event?.requestContext?.authorizer;
  // A custom authorizer always leaves keys here (principalId at least); IAM and API-key calls leave none.
  if (authorizer && typeof authorizer === 'object' && Object.keys(authorizer).length > 0) {
    // A Lambda authorizer returns the tenant in its context; a Cognito user pool authorizer passes only the token's
    // claims, where the tenant is the user pool's custom attribute.
    const tenant = authorizer.tenantId ?? authorizer.claims?.[COGNITO_TENANT_CLAIM];
    if (typeof tenant !== 'string' || tenant === '') {
      throw new PipelineError(403, 'TENANT_NOT_AUTHORIZED', `The authorizer gave no tenant for this caller (tenantId in a Lambda authorizer's context, or the ${COGNITO_TENANT_CLAIM} claim of a Cognito token, must be a non-empty string); the request is refused.`);
    }
    const user = authorizer.principalId ?? authorizer.claims?.sub;
    if (!isPrincipal(user)) {
      throw new PipelineError(403, 'USER_NOT_AUTHORIZED', `The authorizer gave no principal for this caller (principalId, or claims.sub from Cognito, must be a string of 1 to ${MAX_PRINCIPAL_CHARS} characters); the request is refused.`);
    }
    return { requestId, tenantId: tenant, tenantSource: 'authorizer', userId: user };
  }
  const identity = event?.requestContext?.identity;
  const apiKeyId = identity?.apiKeyId;
  if (typeof apiKeyId === 'string' && apiKeyId !== '') return { requestId, tenantId: apiKeyId, tenantSource: 'key', userId: apiKeyId };
  // `user` is the principal's unique id (`AIDA…` for an IAM user, `AROA…:<session>` for a role), with no '/' in it.
  // A role's session name changes with its credentials (one per ECS task, per Lambda container…): the role id alone
  // is the principal, so a backend's users keep one counter however many sessions call for them.
  const principal = (identity?.user ?? identity?.caller)?.split(':')[0];
  if (!isPrincipal(principal)) {
    throw new PipelineError(403, 'CALLER_NOT_AUTHENTICATED', 'The request carries no authenticated caller (an IAM principal, an API key or an authorizer); usage limits need one. Call the API through a method that authenticates.');
  }
  return { requestId, tenantSource: 'iam', userPrincipal: principal };
}

/** The Cognito user pool attribute that names a user's tenant (a custom attribute, so prefixed `custom:`). */
const COGNITO_TENANT_CLAIM = 'custom:tenantId';

// Keeps a ledger key (user scope: tenant, user, window) far below DynamoDB's 2,048-byte partition key.
const MAX_PRINCIPAL_CHARS = 512;

function isPrincipal(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_PRINCIPAL_CHARS;
}

/** What the pipeline is asked: the route's spend path, the authenticated caller and the parsed body. */
export interface ApiRequest {
  readonly path: SpendPath;
  readonly identity: RequestIdentity;
  readonly body: unknown;
}

/**
 * An API request read before the pipeline (route, caller, JSON body), the same way by the buffered and the streaming
 * handler. A refusal here (404, 405, 403, 400) is recorded as the request's one metric record, then thrown.
 */
export function apiRequestOf(event: APIGatewayProxyEvent, requestId: string): ApiRequest {
  let path: SpendPath = 'converse';
  let identity: RequestIdentity = { requestId };
  try {
    path = routeOf(event);
    identity = callerIdentity(event, requestId);
    return { path, identity, body: parseJsonBody(event?.body, Boolean(event?.isBase64Encoded)) };
  } catch (error) {
    recordRejection(error, path, identity);
    throw error;
  }
}

/** `POST /embed`: the vectors (cached ones free). The cache is keyed by tenant, so a free text is one this tenant embedded before. */
export async function embeddingResponse(request: ApiRequest, requestId: string, cors: Record<string, string>): Promise<APIGatewayProxyResult> {
  const { vectors, inputTokens, costUsd } = await containerPipeline().embed(request.body, request.identity);
  return json(200, { requestId, vectors, inputTokens, costUsd }, cors);
}

export function recordRejection(error: unknown, path: SpendPath, identity: RequestIdentity): void {
  try {
    containerPipeline().recordRejection(error, path, identity);
  } catch (recordError) {
    // A configuration that cannot be read is reported by the error itself; never fail the answer for a metric.
    logError('rejection not recorded', { error: String(recordError) });
  }
}

export function corsHeaders(headers: APIGatewayProxyEvent['headers'] | undefined): Record<string, string> {
  if (allowedOrigins.length === 0 || !headers) return {};
  const origin = Object.entries(headers).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  return origin && allowedOrigins.includes(origin)
    ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': API_EXPOSED_HEADERS.join(', '), 'vary': 'Origin' }
    : {};
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function retryAfter(error: PipelineError): Record<string, string> {
  if (error.status !== 429 && error.status !== 503) return {};
  const seconds = error.details.retryAfterSeconds;
  return { 'retry-after': typeof seconds === 'number' && seconds > 0 ? String(Math.ceil(seconds)) : '5' };
}

/**
 * The tightest usage limit after the request: `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset`
 * (seconds until the window ends, like `Retry-After`) and `x-ratelimit-policy` (`<scope>;w=<window>;m=<measure>`).
 */
export function rateLimitHeaders(limits: LimitStatus | undefined): Record<string, string> {
  if (!limits) return {};
  return {
    'x-ratelimit-limit': String(limits.limit),
    'x-ratelimit-remaining': String(limits.measure === 'costUsd' ? presentUsd(limits.remaining) : limits.remaining),
    'x-ratelimit-reset': String(Math.max(0, Math.ceil((Date.parse(limits.resetsAt) - Date.now()) / 1000))),
    'x-ratelimit-policy': `${limits.scope};w=${limits.window};m=${limits.measure}`,
  };
}

/**
 * Under a run limit: what the run may still use after this call's reservation (the least left on the run and its
 * ancestors): `x-genai-run-remaining-requests`, `-tokens`, `-usd`, for the measures its limits set.
 */
export function runRemainingHeaders(run: RunRemaining | undefined): Record<string, string> {
  if (!run) return {};
  return {
    'x-genai-run-id': run.runId,
    ...(run.requests !== undefined ? { 'x-genai-run-remaining-requests': String(run.requests) } : {}),
    ...(run.tokens !== undefined ? { 'x-genai-run-remaining-tokens': String(run.tokens) } : {}),
    ...(run.costUsd !== undefined ? { 'x-genai-run-remaining-usd': String(presentUsd(run.costUsd)) } : {}),
  };
}

// A usage-limit refusal names the limit it hit: the same headers, nothing remaining.
export function refusedLimitHeaders(error: PipelineError): Record<string, string> {
  const d = error.details;
  if (error.code !== 'USAGE_LIMIT_EXCEEDED' || typeof d.limit !== 'number' || typeof d.resetsAt !== 'string') return {};
  const headers = rateLimitHeaders({ scope: d.scope, window: d.window, measure: d.measure, limit: d.limit, remaining: 0, resetsAt: d.resetsAt } as LimitStatus);
  if (typeof d.runId !== 'string') return headers;
  const measure = d.measure === 'costUsd' ? 'usd' : String(d.measure);
  return { ...headers, 'x-genai-run-id': d.runId, [`x-genai-run-remaining-${measure}`]: '0' };
}

function parseOrigins(originsJson: string | undefined): string[] {
  try {
    const value = originsJson ? JSON.parse(originsJson) : [];
    return Array.isArray(value) ? value.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The answer to a request that failed before anything was sent: the pipeline's status, code, reason and details,
 * with `Retry-After` and the refused limit's headers; anything else is a 500 that charged nothing.
 */
export function errorResponse(error: unknown, requestId: string, cors: Record<string, string>): APIGatewayProxyResult {
  if (error instanceof PipelineError) {
    const degraded = error.details.degraded as Degradation | undefined;
    return json(error.status, { error: error.code, message: error.message, details: error.details, requestId },
      { ...cors, ...retryAfter(error), ...refusedLimitHeaders(error), ...degradedHeaders(degraded) });
  }
  logError('request failed', { requestId, error: String(error), stack: (error as Error)?.stack });
  return json(500, { error: 'INTERNAL_ERROR', message: 'The request failed; it was not charged.', requestId }, cors);
}

/** The headers of an answered request: its limit after the reservation, and a run's remaining budget. */
export function limitHeaders(limits: LimitStatus | undefined): Record<string, string> {
  return { ...rateLimitHeaders(limits), ...runRemainingHeaders(limits?.run) };
}

/** A degraded answer says so (`x-genai-degraded: cheaper-tier; limit=tenant/month/costUsd; used=0.83`). */
export function degradedHeaders(degraded: Degradation | undefined): Record<string, string> {
  return degraded ? { [DEGRADED_HEADER]: degradedHeaderValue(degraded) } : {};
}

// Limits carry the ledger's exact dollars (settlements add to them); a header shows them once rounded, to the
// micro-dollar.
function presentUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
