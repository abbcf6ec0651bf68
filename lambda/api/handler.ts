import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { SpendPath } from '../../shared/contract';
import { parseJsonBody, RequestIdentity } from '../pipeline/stages/validate-request';
import { containerPipeline } from '../composition/pipeline-runtime';
import { deferredAccepted } from './deferred-accepted';
import { answerDeferredResult, isDeferredRoute } from './deferred-route';
import { callerIdentity, corsHeaders, degradedHeaders, errorResponse, json, limitHeaders, recordRejection, routeOf } from './http';

/**
 * API Gateway proxy requests → the request pipeline. `POST /invoke` answers a message; `POST /embed` returns
 * cached embeddings when the workflow has an embedding cache. Every refusal is a 4xx with a reason, and every
 * request, refused or not, is one metric record.
 */
export async function handler(event: APIGatewayProxyEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyResult> {
  const requestId = event?.requestContext?.requestId ?? `local-${Date.now()}`;
  const cors = corsHeaders(event?.headers);
  if (isDeferredRoute(event)) return answerDeferredResult(event, requestId, cors);
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
      // The cache is keyed by tenant, so a free (cached) text is one this tenant embedded before, never another's.
      return json(200, { requestId, vectors, inputTokens, costUsd }, cors);
    }
    const result = await containerPipeline().handle(body, identity, {
      deadlineMs: context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() : undefined,
    });
    if (result.deferred) return deferredAccepted(event, { ...result, deferred: result.deferred }, cors);
    return json(200, result, { ...cors, ...limitHeaders(result.limits), ...degradedHeaders(result.degraded) });
  } catch (error) {
    if (!inPipeline) recordRejection(error, path, identity);
    return errorResponse(error, requestId, cors);
  }
}

