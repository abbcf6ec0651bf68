import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { SpendPath } from '../contract';
import { ENV } from '../contract';
import { PipelineError } from '../pipeline/errors';
import type { LimitStatus } from '../pipeline/guards/spend-guard';
import { parseJsonBody, RequestIdentity } from '../pipeline/stages/validate-request';
import { logError } from '../runtime/log';
import { containerPipeline } from '../runtime/pipeline-runtime';

// Origins the construct allows (CORS): with a proxy integration the function itself must answer with them.
const allowedOrigins: ReadonlyArray<string> = parseOrigins(process.env[ENV.allowedOrigins]);

/** The routes the API serves, each on one spend path. */
const ROUTES: Readonly<Record<string, SpendPath>> = { '/invoke': 'converse', '/embed': 'embedding' };

/**
 * API Gateway proxy requests → the request pipeline. `POST /invoke` answers a message; `POST /embed` returns
 * cached embeddings when the workflow has an embedding cache. Every refusal is a 4xx with a reason, and every
 * request, refused or not, is one metric record.
 */
export async function handler(event: APIGatewayProxyEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyResult> {
  const requestId = event?.requestContext?.requestId ?? `local-${Date.now()}`;
  const cors = corsHeaders(event?.headers);
  let path: SpendPath = 'converse';
  let identity: RequestIdentity = { requestId };
  // Refusals before the pipeline are recorded here; the pipeline records its own.
  let inPipeline = false;
  try {
    path = routeOf(event);
    identity = callerIdentity(event, requestId);
    const body = parseJsonBody(event?.body, Boolean(event?.isBase64Encoded));
    inPipeline = true;
    if (path === 'embedding') {
      const { vectors, inputTokens, costUsd } = await containerPipeline().embed(body, identity);
      // Hit counts stay out of the response: they would tell a caller what other tenants have embedded.
      return json(200, { requestId, vectors, inputTokens, costUsd }, cors);
    }
    const result = await containerPipeline().handle(body, identity, {
      deadlineMs: context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() : undefined,
    });
    return json(200, result, { ...cors, ...rateLimitHeaders(result.limits) });
  } catch (error) {
    if (!inPipeline) recordRejection(error, path, identity);
    if (error instanceof PipelineError) {
      return json(error.status, { error: error.code, message: error.message, details: error.details, requestId }, { ...cors, ...retryAfter(error), ...refusedLimitHeaders(error) });
    }
    logError('request failed', { requestId, error: String(error), stack: (error as Error)?.stack });
    return json(500, { error: 'INTERNAL_ERROR', message: 'The request failed; it was not charged.', requestId }, cors);
  }
}

/** Which route the request is for: only `POST /invoke` and `POST /embed` are served. */
function routeOf(event: APIGatewayProxyEvent): SpendPath {
  // `resource` is the route as defined (a custom domain's base path is not part of it); `path` for local events.
  const route = (event?.resource ?? event?.path ?? '').replace(/\/+$/, '');
  const path = Object.prototype.hasOwnProperty.call(ROUTES, route) ? ROUTES[route] : undefined;
  if (!path) throw new PipelineError(404, 'NOT_FOUND', `There is no route ${route || '/'}; use POST /invoke or POST /embed.`, { route });
  const method = event?.httpMethod ?? 'POST';
  if (method !== 'POST') throw new PipelineError(405, 'METHOD_NOT_ALLOWED', `${route} accepts POST only, not ${method}.`, { route, method });
  return path;
}

/**
 * Who the tenant is, namespaced by where it came from so that no path can claim another path's tenant:
 * `authorizer:<id>` from an authorizer's `tenantId`; `key:<id>` for an API key (each key is a tenant of its own);
 * otherwise (IAM: a trusted backend calling for its users) `iam:<tenantId>` from the body. An authorizer that is
 * present but gives no usable tenant is refused with 403, never replaced by the body's claim.
 */
function callerIdentity(event: APIGatewayProxyEvent, requestId: string): RequestIdentity {
  const authorizer = event?.requestContext?.authorizer;
  // A custom authorizer always leaves keys here (principalId at least); IAM and API-key calls leave none.
  if (authorizer && typeof authorizer === 'object' && Object.keys(authorizer).length > 0) {
    const tenant = authorizer.tenantId;
    if (typeof tenant !== 'string' || tenant === '') {
      throw new PipelineError(403, 'TENANT_NOT_AUTHORIZED', 'The authorizer gave no tenant for this caller (tenantId must be a non-empty string); the request is refused.');
    }
    return { requestId, tenantId: tenant, tenantSource: 'authorizer' };
  }
  const apiKeyId = event?.requestContext?.identity?.apiKeyId;
  if (typeof apiKeyId === 'string' && apiKeyId !== '') return { requestId, tenantId: apiKeyId, tenantSource: 'key' };
  return { requestId, tenantSource: 'iam' };
}

function recordRejection(error: unknown, path: SpendPath, identity: RequestIdentity): void {
  try {
    containerPipeline().recordRejection(error, path, identity);
  } catch (recordError) {
    // A configuration that cannot be read is reported by the error itself; never fail the answer for a metric.
    logError('rejection not recorded', { error: String(recordError) });
  }
}

function corsHeaders(headers: APIGatewayProxyEvent['headers'] | undefined): Record<string, string> {
  if (allowedOrigins.length === 0 || !headers) return {};
  const origin = Object.entries(headers).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  return origin && allowedOrigins.includes(origin) ? { 'access-control-allow-origin': origin, 'vary': 'Origin' } : {};
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

function retryAfter(error: PipelineError): Record<string, string> {
  if (error.status !== 429 && error.status !== 503) return {};
  const seconds = error.details.retryAfterSeconds;
  return { 'retry-after': typeof seconds === 'number' && seconds > 0 ? String(Math.ceil(seconds)) : '5' };
}

/**
 * The tightest usage limit after the request: `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset`
 * (seconds until the window ends, like `Retry-After`) and `x-ratelimit-policy` (`<scope>;w=<window>;m=<measure>`).
 */
function rateLimitHeaders(limits: LimitStatus | undefined): Record<string, string> {
  if (!limits) return {};
  return {
    'x-ratelimit-limit': String(limits.limit),
    'x-ratelimit-remaining': String(limits.remaining),
    'x-ratelimit-reset': String(Math.max(0, Math.ceil((Date.parse(limits.resetsAt) - Date.now()) / 1000))),
    'x-ratelimit-policy': `${limits.scope};w=${limits.window};m=${limits.measure}`,
  };
}

// A usage-limit refusal names the limit it hit: the same headers, nothing remaining.
function refusedLimitHeaders(error: PipelineError): Record<string, string> {
  const d = error.details;
  if (error.code !== 'USAGE_LIMIT_EXCEEDED' || typeof d.limit !== 'number' || typeof d.resetsAt !== 'string') return {};
  return rateLimitHeaders({ scope: d.scope, window: d.window, measure: d.measure, limit: d.limit, remaining: 0, resetsAt: d.resetsAt } as LimitStatus);
}

function parseOrigins(json: string | undefined): string[] {
  try {
    const value = json ? JSON.parse(json) : [];
    return Array.isArray(value) ? value.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
}
