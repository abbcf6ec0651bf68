/** What differs between callers of the API handler: who calls, with which headers and body. */
export interface InvokeEventSpec {
  /** The API id in the request context (names the local front end that built the event). */
  readonly apiId: string;
  readonly requestId: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly body: string;
  /** Request-context fields beyond the route's: the caller's `identity`, an `authorizer`'s result, timing. */
  readonly context: Record<string, unknown>;
}

/** The API Gateway REST proxy event of `POST /invoke` on stage `v1`, as API Gateway delivers it to the API handler. */
export function invokeProxyEvent(spec: InvokeEventSpec): Record<string, unknown> {
  return {
    resource: '/invoke',
    path: '/invoke',
    httpMethod: 'POST',
    headers: spec.headers,
    multiValueHeaders: spec.multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '111122223333',
      apiId: spec.apiId,
      resourcePath: '/invoke',
      httpMethod: 'POST',
      requestId: spec.requestId,
      path: '/v1/invoke',
      stage: 'v1',
      ...spec.context,
    },
    body: spec.body,
    isBase64Encoded: false,
  };
}
