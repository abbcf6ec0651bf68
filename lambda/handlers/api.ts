import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readHandlerConfig } from '../runtime/config';
import { converseOnce } from '../runtime/converse-once';
import { logInfo } from '../runtime/log';

const config = readHandlerConfig();

/** API Gateway proxy request → one model call → JSON answer with its token usage. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext?.requestId ?? 'local';
  const parsed = parseBody(event.body, event.isBase64Encoded);
  if ('error' in parsed) return json(400, { error: parsed.error, requestId });

  const answer = await converseOnce(config, parsed.message);
  logInfo('model call', { requestId, model: config.baseModelId, usage: answer.usage, tags: config.tags });
  return json(200, {
    answer: answer.text,
    model: config.baseModelId,
    stopReason: answer.stopReason,
    usage: answer.usage,
    requestId,
  });
}

function parseBody(body: string | null, base64: boolean): { message: string } | { error: string } {
  if (!body) return { error: 'The request has no body. Send JSON like {"message": "..."}.' };
  let value: unknown;
  try {
    value = JSON.parse(base64 ? Buffer.from(body, 'base64').toString('utf8') : body);
  } catch {
    return { error: 'The body is not valid JSON. Send JSON like {"message": "..."}.' };
  }
  const message = (value as { message?: unknown } | null)?.message;
  if (typeof message !== 'string' || message.trim() === '') {
    return { error: "Field 'message' must be a non-empty string." };
  }
  return { message };
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
