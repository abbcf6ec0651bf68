import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { DeferredReceipt } from '../../shared/contract';
import type { PipelineResult } from '../pipeline/types';
import { degradedHeaders, json } from './http';

/**
 * `202 Accepted` for a call a feature's `defer` policy took for later: no model was called and nothing charged. The
 * body says where the result will be (`deferred.location`, the route's path `/deferred/<day>/<id>`) and why
 * (`degraded`); the `location` header carries the same path as the client called the API (stage or custom domain
 * base path included), and `x-genai-degraded` the action and limit. Both handlers answer it whole, never as events.
 */
export function deferredAccepted(event: APIGatewayProxyEvent, result: PipelineResult & { readonly deferred: DeferredReceipt }, cors: Record<string, string>): APIGatewayProxyResult {
  const { requestId, deferred, degraded } = result;
  return json(202, { requestId, deferred: { day: deferred.day, location: deferred.location }, ...(degraded ? { degraded } : {}) }, {
    ...cors,
    'x-genai-request-id': requestId,
    'location': `${basePathOf(event)}${deferred.location}`,
    ...degradedHeaders(degraded),
  });
}

/**
 * What precedes the route in the URL the client called: the stage (`/v1`), or a custom domain's base path. API
 * Gateway gives the route alone in `path` and the whole in `requestContext.path`; without both (local events), none.
 */
function basePathOf(event: APIGatewayProxyEvent): string {
  const whole = event?.requestContext?.path;
  const route = event?.path;
  if (typeof whole !== 'string' || typeof route !== 'string' || !whole.endsWith(route)) return '';
  const base = whole.slice(0, whole.length - route.length).replace(/\/+$/, '');
  return /^(?:\/[A-Za-z0-9._~-]+)*$/.test(base) ? base : '';
}
