import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PipelineError } from '../pipeline/errors';
import { parseJsonBody } from '../pipeline/stages/validate-request';
import { embeddingCache } from '../runtime/embedding-runtime';
import { logError } from '../runtime/log';
import { containerPipeline } from '../runtime/pipeline-runtime';

// Origins the construct allows (CORS): with a proxy integration the function itself must answer with them.
const allowedOrigins: ReadonlyArray<string> = parseOrigins(process.env.ALLOWED_ORIGINS);

/**
 * API Gateway proxy requests → the request pipeline. `POST /invoke` answers a message; `POST /embed` returns
 * cached embeddings when the workflow has an embedding cache. Every refusal is a 4xx with a reason.
 */
export async function handler(event: APIGatewayProxyEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyResult> {
  const requestId = event?.requestContext?.requestId ?? `local-${Date.now()}`;
  const cors = corsHeaders(event?.headers);
  try {
    const body = parseJsonBody(event?.body, Boolean(event?.isBase64Encoded));
    if (event?.path?.endsWith('/embed')) {
      const cache = embeddingCache();
      if (!cache) throw new PipelineError(404, 'NOT_FOUND', 'This workflow has no embedding cache.');
      const { vectors, inputTokens, costUsd } = await cache.embed((body as { texts?: unknown })?.texts as string[]);
      // Hit counts stay out of the response: they would tell a caller what other tenants have embedded.
      return json(200, { requestId, vectors, inputTokens, costUsd }, cors);
    }
    const result = await containerPipeline().handle(body, callerIdentity(event, requestId), {
      deadlineMs: context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() : undefined,
    });
    return json(200, result, cors);
  } catch (error) {
    if (error instanceof PipelineError) {
      return json(error.status, { error: error.code, message: error.message, details: error.details, requestId }, { ...cors, ...retryAfter(error) });
    }
    logError('request failed', { requestId, error: String(error), stack: (error as Error)?.stack });
    return json(500, { error: 'INTERNAL_ERROR', message: 'The request failed; it was not charged.', requestId }, cors);
  }
}

/**
 * Who the tenant is. An authorizer's `tenantId` wins; with API-key authorization each key is a tenant of its own;
 * otherwise (IAM: a trusted backend calling for its users) the body's `tenantId` is used.
 */
function callerIdentity(event: APIGatewayProxyEvent, requestId: string) {
  const authorizerTenant = stringOrUndefined(event?.requestContext?.authorizer?.tenantId);
  const apiKeyId = stringOrUndefined(event?.requestContext?.identity?.apiKeyId);
  return { requestId, tenantId: authorizerTenant ?? (apiKeyId ? `key-${apiKeyId}` : undefined) };
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
  return error.status === 429 || error.status === 503 ? { 'retry-after': '5' } : {};
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseOrigins(json: string | undefined): string[] {
  try {
    const value = json ? JSON.parse(json) : [];
    return Array.isArray(value) ? value.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
}
