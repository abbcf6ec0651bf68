/**
 * The API workflow's response headers a browser script may read. A cross-origin script sees only the CORS-safelisted
 * response headers (Content-Type, Cache-Control, ...) unless the answer lists the others in
 * `Access-Control-Expose-Headers`: without it a chat page could not show the request id, the remaining limits, a run's
 * remaining budget or when to retry. Listed by name: the `*` wildcard does not apply to requests with credentials.
 * https://fetch.spec.whatwg.org/#http-access-control-expose-headers
 */
export const API_EXPOSED_HEADERS: ReadonlyArray<string> = [
  'x-genai-request-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-policy',
  'retry-after',
  'x-genai-run-id',
  'x-genai-run-remaining-requests',
  'x-genai-run-remaining-tokens',
  'x-genai-run-remaining-usd',
  'x-genai-degraded',
  'location',
];
