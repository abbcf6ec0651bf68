import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PipelineError } from '../pipeline/errors';
import { parseJsonBody } from '../pipeline/stages/validate-request';
import { embeddingCache } from '../runtime/embedding-runtime';
import { logError } from '../runtime/log';
import { containerPipeline } from '../runtime/pipeline-runtime';

/**
 * API Gateway proxy requests → the request pipeline. `POST /invoke` answers a message; `POST /embed` returns
 * cached embeddings when the workflow has an embedding cache. Every refusal is a 4xx with a reason.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const requestId = event?.requestContext?.requestId ?? `local-${Date.now()}`;
  try {
    const body = parseJsonBody(event?.body, Boolean(event?.isBase64Encoded));
    if (event?.path?.endsWith('/embed')) {
      const cache = embeddingCache();
      if (!cache) throw new PipelineError(404, 'NOT_FOUND', 'This workflow has no embedding cache.');
      const result = await cache.embed((body as { texts?: unknown })?.texts as string[]);
      return json(200, { requestId, ...result });
    }
    const result = await containerPipeline().handle(body, {
      requestId,
      // A tenant set by an authorizer wins over one claimed in the body.
      tenantId: stringOrUndefined(event?.requestContext?.authorizer?.tenantId),
    });
    return json(200, result);
  } catch (error) {
    if (error instanceof PipelineError) {
      return json(error.status, { error: error.code, message: error.message, details: error.details, requestId }, retryAfter(error));
    }
    logError('request failed', { requestId, error: String(error), stack: (error as Error)?.stack });
    return json(500, { error: 'INTERNAL_ERROR', message: 'The request failed; it was not charged.', requestId });
  }
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
