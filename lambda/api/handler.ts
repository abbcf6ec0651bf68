import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { containerPipeline } from '../composition/pipeline-runtime';
import { deferredAccepted } from './deferred-accepted';
import { answerDeferredResult, isDeferredRoute } from './deferred-route';
import { apiRequestOf, corsHeaders, degradedHeaders, embeddingResponse, errorResponse, json, limitHeaders } from './http';

/**
 * API Gateway proxy requests → the request pipeline. `POST /invoke` answers a message; `POST /embed` returns
 * cached embeddings when the workflow has an embedding cache. Every refusal is a 4xx with a reason, and every
 * request, refused or not, is one metric record.
 */
export async function handler(event: APIGatewayProxyEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyResult> {
  const requestId = event?.requestContext?.requestId ?? `local-${Date.now()}`;
  const cors = corsHeaders(event?.headers);
  if (isDeferredRoute(event)) return answerDeferredResult(event, requestId, cors);
  try {
    const request = apiRequestOf(event, requestId);
    if (request.path === 'embedding') return await embeddingResponse(request, requestId, cors);
    const result = await containerPipeline().handle(request.body, request.identity, {
      deadlineMs: context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() : undefined,
    });
    if (result.deferred) return deferredAccepted(event, { ...result, deferred: result.deferred }, cors);
    return json(200, result, { ...cors, ...limitHeaders(result.limits), ...degradedHeaders(result.degraded) });
  } catch (error) {
    // Recorded already: a refusal before the pipeline by `apiRequestOf`, one inside it by the pipeline.
    return errorResponse(error, requestId, cors);
  }
}
