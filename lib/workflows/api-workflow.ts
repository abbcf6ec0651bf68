import { Annotations, Duration, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/contract';
import { IEmbeddingCache } from '../data-stores';
import { EdgeRateLimit } from '../guardrails/edge-rate-limit';
import { BundledHandler } from '../private/bundled-handler';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { GenAiInferenceProfile } from '../inference';
import { ApiGatewayAccount } from './api-gateway-account';
import { checkDeferredFeature, deferralEnvironment, grantDeferral } from './api-deferral';
import { GenAiWorkflowBase } from './genai-workflow-base';
import { GenAiWorkflowProps } from './genai-workflow-props';
import type { ScheduledWorkflow } from './scheduled-workflow';
import { NearLimitAction } from './near-limit-policy';
import { createWorkflowRuntime } from './workflow-runtime';
import { WORKFLOW_PROP_KINDS } from './workflow-prop-kinds';
import { checkProps, oneOf, PropKinds } from '../private/prop-check';

/** How callers of the API authenticate. */
export enum ApiAuthorization {
  /** AWS Signature V4 with IAM credentials allowed `execute-api:Invoke`. */
  IAM = 'IAM',
  /** An API key (header `x-api-key`) tied to a usage plan with throttle and quota. */
  API_KEY = 'API_KEY',
}

/** Properties of an {@link ApiWorkflow}. */
export interface ApiWorkflowProps extends GenAiWorkflowProps {
  /**
   * How callers authenticate. Never open: a public GenAI endpoint is a bill anyone can run up.
   * @default ApiAuthorization.IAM
   */
  readonly authorization?: ApiAuthorization;
  /**
   * Steady-state requests per second the stage accepts.
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests the stage accepts.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * With API keys: requests per day each key may make.
   * @default 10000
   */
  readonly quotaRequestsPerDay?: number;
  /**
   * Origins allowed by CORS, e.g. `['https://support.example.com']`.
   * @default - no CORS
   */
  readonly allowedOrigins?: string[];
  /**
   * Declare the account-wide role API Gateway needs to write logs (`AWS::ApiGateway::Account` and its role). It is
   * one per stack, shared by every ApiWorkflow of the stack (construct `GenAiApiGatewayAccount` under the stack),
   * and retained on stack deletion. Set false when the account already has one configured.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * An AWS WAF web ACL with a per-client-IP rate limit in front of the stage. Off by default: it costs $5 per
   * web ACL, $1 per rule and $0.60 per million requests each month. One EdgeRateLimit can serve several APIs.
   * @default - no web ACL; abuse is bounded by authentication, stage throttling and usage plans
   */
  readonly edgeRateLimit?: EdgeRateLimit;
  /**
   * Cache responses: identical requests are answered from a DynamoDB table at no model cost. False creates no
   * table, and the handler gets no response-cache configuration.
   * @default true (a new `ResponseCacheTable`, 1 hour TTL, unless `responseCache` gives one)
   */
  readonly responseCaching?: boolean;
  /**
   * An embedding cache served at `POST /embed` (RAG): an `EmbeddingCache`, or `EmbeddingCache.fromTable(...)` over a
   * table you already have. Only this workflow takes one: the document and scheduled handlers never embed.
   * @default - none; the API has no `POST /embed`
   */
  readonly embeddingCache?: IEmbeddingCache;
  /**
   * Stream answers through API Gateway REST response streaming: `POST /invoke` and `POST /embed` invoke a streaming
   * handler (`InvokeWithResponseStream`, the integration's `ResponseTransferMode.STREAM`), which calls
   * `ConverseStream` and answers `POST /invoke` with server-sent events when the request sends
   * `Accept: text/event-stream` (status, request id and limit headers before the first token), or with the buffered
   * API's JSON otherwise. The integration may then run as long as the function (`timeout`, up to 15 minutes) instead
   * of API Gateway's 29 seconds, and the handler's role may also call `bedrock:InvokeModelWithResponseStream`
   * through the workflow's profiles. Off by default so that a deployed API keeps its integration, its clients'
   * answers and its role; turning it on replaces the function's code and the integrations.
   * @default false
   */
  readonly responseStreaming?: boolean;
  /**
   * Where a feature whose `nearLimit` action is `NearLimitAction.DEFER` sends the calls it accepts near its limit:
   * each is written as a record under `deferred/<day>/` of this scheduled workflow's input bucket and answered
   * `202 Accepted` with `location: /deferred/<day>/<request id>`, at no model cost then; the workflow's run after that
   * day answers it on demand (at the scheduled workflow's `serviceTier`) and charges it to the tenant that asked, in
   * the usage ledger the two workflows should share.
   * `GET /deferred/{day}/{requestId}` (same authorization as `POST /invoke`) returns the result to that caller only:
   * 404 until the run wrote it, then 200 with the answer and its cost. The API's role may write and read `deferred/*`
   * of the input bucket and read only the deferred results (`<resultsPrefix>*\/deferred-*`) of the results bucket.
   * @default - no deferral; a `defer` policy is a synth error without it
   */
  readonly deferTo?: ScheduledWorkflow;
}

/**
 * API Gateway REST API → Lambda → Bedrock, for interactive requests.
 *
 * `POST /invoke` with a JSON body `{ "message": "...", "tenantId": "..." }` (and optionally `userId`, `system`,
 * `context`, `history`, `complexity`, `maxOutputTokens`); `POST /embed` with `{ "texts": [...] }` when an embedding
 * cache is configured. Authenticated (IAM by default, or API keys with a usage
 * plan), throttled at the stage, request bodies validated before the Lambda runs, access logs in JSON. Usage limits
 * count the authenticated caller: an API key (or an authorizer's principal) is the user whatever `userId` says; an IAM
 * caller's `userId` is a sub-id under its own principal. With `responseStreaming`, answers stream through API Gateway
 * response streaming (server-sent events for `Accept: text/event-stream`).
 */
export class ApiWorkflow extends GenAiWorkflowBase {
  /** The REST API. */
  public readonly api: apigw.RestApi;
  /** The embedding cache behind `POST /embed`, if the workflow has one. */
  public readonly embeddingCache?: IEmbeddingCache;
  /**
   * The application inference profile `POST /embed` invokes the embeddings model through, carrying the workflow's
   * tags to the bill, when the workflow has an embedding cache.
   */
  public readonly embeddingProfile?: GenAiInferenceProfile;
  /** Where API Gateway writes access logs. */
  public readonly accessLogGroup: logs.LogGroup;
  /** The usage plan, when authorization is API_KEY. */
  public readonly usagePlan?: apigw.UsagePlan;
  /** The API key, when authorization is API_KEY. */
  public readonly apiKey?: apigw.IApiKey;
  /** Whether the API streams its answers (`responseStreaming`). */
  public readonly responseStreaming: boolean;
  private readonly invokeMethod: apigw.Method;
  private readonly embedMethod?: apigw.Method;
  private readonly deferredMethod?: apigw.Method;

  constructor(scope: Construct, id: string, props: ApiWorkflowProps = {}) {
    super(scope, id);
    checkProps(this, 'ApiWorkflowProps', props, API_WORKFLOW_PROP_KINDS);
    validateApiProps(this, props);
    const authorization = props.authorization ?? ApiAuthorization.IAM;
    this.responseStreaming = props.responseStreaming ?? false;
    const timeout = props.timeout ?? (this.responseStreaming ? DEFAULT_STREAMING_TIMEOUT : BUFFERED_INTEGRATION_LIMIT);
    checkTimeoutFitsIntegration(this, timeout, this.responseStreaming, props.timeout === undefined);

    const runtime = createWorkflowRuntime(this, props, {
      bundledHandler: this.responseStreaming ? BundledHandler.API_STREAM : BundledHandler.API,
      inferenceType: 'realtime',
      defaultTimeout: timeout,
      createResponseCache: props.responseCaching ?? true,
      environment: {
        ...(props.allowedOrigins ? { [ENV.allowedOrigins]: JSON.stringify(props.allowedOrigins) } : {}),
        ...(props.deferTo ? deferralEnvironment(props.deferTo) : {}),
      },
      embeddingCache: props.embeddingCache,
      responseStreaming: this.responseStreaming,
    });
    this._useRuntime(runtime);
    if (props.deferTo) {
      grantDeferral(this.role, props.deferTo);
      props.deferTo._acceptDeferredFrom(this, this.role);
      checkDeferredFeature(this, props.deferTo, props.nearLimit?.action === NearLimitAction.DEFER);
    }
    this.embeddingCache = runtime.embeddingCache;
    this.embeddingProfile = runtime.embeddingProfile;

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.api = new apigw.RestApi(this, 'Resource', {
      description: `GenAI API ${this.node.path}`,
      // Declared once per stack below: each RestApi's own would be a second AWS::ApiGateway::Account.
      cloudWatchRole: false,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
      defaultCorsPreflightOptions: props.allowedOrigins
        ? { allowOrigins: props.allowedOrigins, allowMethods: props.deferTo ? ['GET', 'POST', 'OPTIONS'] : ['POST', 'OPTIONS'], allowHeaders: ['Content-Type', 'Authorization', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Api-Key'] }
        : undefined,
    });

    if (props.cloudWatchRole ?? true) ApiGatewayAccount.of(this).attach(this.api);

    const requestModel = this.api.addModel('InvokeRequest', {
      contentType: 'application/json',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        type: apigw.JsonSchemaType.OBJECT,
        required: ['message'],
        properties: {
          message: { type: apigw.JsonSchemaType.STRING, minLength: 1 },
        },
      },
    });
    const validator = this.api.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
    const integration = this.responseStreaming ? streamingIntegration(this.handler, timeout) : new apigw.LambdaIntegration(this.handler);
    this.invokeMethod = this.api.root.addResource('invoke').addMethod('POST', integration, {
      authorizationType: authorization === ApiAuthorization.IAM ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
      apiKeyRequired: authorization === ApiAuthorization.API_KEY,
      requestValidator: validator,
      requestModels: { 'application/json': requestModel },
    });

    if (props.embeddingCache) {
      const embedModel = this.api.addModel('EmbedRequest', {
        contentType: 'application/json',
        schema: {
          schema: apigw.JsonSchemaVersion.DRAFT4,
          type: apigw.JsonSchemaType.OBJECT,
          required: ['texts'],
          properties: { texts: { type: apigw.JsonSchemaType.ARRAY, minItems: 1, maxItems: 100, items: { type: apigw.JsonSchemaType.STRING } } },
        },
      });
      this.embedMethod = this.api.root.addResource('embed').addMethod('POST', integration, {
        authorizationType: authorization === ApiAuthorization.IAM ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
        apiKeyRequired: authorization === ApiAuthorization.API_KEY,
        requestValidator: validator,
        requestModels: { 'application/json': embedModel },
      });
    }

    if (props.deferTo) {
      // The day and id are checked by the handler too (they name S3 keys); API Gateway only requires both.
      this.deferredMethod = this.api.root.addResource('deferred').addResource('{day}').addResource('{requestId}').addMethod('GET', integration, {
        authorizationType: authorization === ApiAuthorization.IAM ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
        apiKeyRequired: authorization === ApiAuthorization.API_KEY,
        requestValidator: validator,
        requestParameters: { 'method.request.path.day': true, 'method.request.path.requestId': true },
      });
    }

    if (authorization === ApiAuthorization.API_KEY) {
      this.apiKey = this.api.addApiKey('ApiKey', { description: `Key for ${this.node.path}` });
      this.usagePlan = this.api.addUsagePlan('UsagePlan', {
        throttle: { rateLimit: props.throttlingRateLimit ?? 50, burstLimit: props.throttlingBurstLimit ?? 100 },
        quota: { limit: props.quotaRequestsPerDay ?? 10000, period: apigw.Period.DAY },
      });
      this.usagePlan.addApiKey(this.apiKey);
      this.usagePlan.addApiStage({ stage: this.api.deploymentStage });
    }

    props.edgeRateLimit?.associate(this.api.deploymentStage);

    acknowledgeApiFindings(this, authorization, props);
  }

  /** The routed models and the embeddings model of `POST /embed`: every model a call that spends can reach. */
  protected spendModels(): string[] {
    return this.embeddingCache ? [...this.routedModels, this.embeddingCache.modelId] : this.routedModels;
  }

  /** The URL of `POST /invoke`. */
  public get invokeUrl(): string {
    return this.api.urlForPath('/invoke');
  }

  /**
   * Allow `grantee` to call the API with IAM credentials (SigV4): `execute-api:Invoke` on `POST /invoke`, and on
   * `POST /embed` when the workflow has an embedding cache, and on `GET /deferred/{day}/{requestId}` when it defers
   * (`deferTo`), in the deployed stage; no other method or stage. With
   * API-key authorization the methods check the key, not IAM, so a grant changes nothing there.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const stage = this.api.deploymentStage.stageName;
    const methods = [this.invokeMethod, this.embedMethod, this.deferredMethod].filter((m): m is apigw.Method => m !== undefined);
    // A path parameter is any one segment of the called path: `/deferred/{day}/{requestId}` → `/deferred/*/*`.
    const arns = methods.map((m) => this.api.arnForExecuteApi(m.httpMethod, m.resource.path.replace(/\{[^}]+\}/g, '*'), stage));
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: arns });
    const principal = grantee.grantPrincipal;
    if (this.deferredMethod && Construct.isConstruct(principal)) {
      acknowledgeWildcardResource(principal, arns[arns.length - 1],
        'Polls deferred results: GET /deferred/{day}/{requestId} of one API stage, the day and request id known only at run time; the handler returns a result to the caller that was deferred only.');
    }
    return grant;
  }
}

// API Gateway's default (and, without a quota increase, largest) integration timeout for a buffered response.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
const BUFFERED_INTEGRATION_LIMIT = Duration.seconds(29);
// "You can stream your response for up to 15 minutes" (the integration timeout of a streamed response may be set up to
// that): https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html
const STREAMING_INTEGRATION_LIMIT = Duration.minutes(15);
// Long enough for a long answer (16,000 tokens at ~60 tokens/s take about 4.5 minutes); Lambda bills the time used,
// not the timeout.
const DEFAULT_STREAMING_TIMEOUT = Duration.minutes(5);

/**
 * The integration of a streaming API: API Gateway invokes the function with `InvokeWithResponseStream` (URI
 * `.../2021-11-15/functions/<arn>/response-streaming-invocations`) and forwards its bytes as they come. That API is
 * authorized by `lambda:InvokeFunction` ("This operation requires permission for the lambda:InvokeFunction action":
 * https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html), the permission LambdaIntegration
 * adds. The integration timeout is the function's: API Gateway then never cuts a stream the function is still
 * writing (the client would miss `done` and `settled`), and no client waits past the function's end.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html
 */
function streamingIntegration(handler: lambda.IFunction, timeout: Duration): apigw.LambdaIntegration {
  return new apigw.LambdaIntegration(handler, { responseTransferMode: apigw.ResponseTransferMode.STREAM, timeout });
}

/**
 * The function's timeout must fit the integration's: a streamed response lasts at most 15 minutes, and a buffered
 * integration gives up after 29 seconds (unless the account's quota was raised), answering 504 while the function
 * keeps running and billing.
 */
function checkTimeoutFitsIntegration(scope: Construct, timeout: Duration, streaming: boolean, isDefault: boolean): void {
  if (timeout.isUnresolved() || isDefault) return;
  const seconds = timeout.toSeconds();
  if (streaming && seconds > STREAMING_INTEGRATION_LIMIT.toSeconds()) {
    throw new Error(`${scope.node.path}: timeout is ${seconds} seconds, but API Gateway streams a response for at most ${STREAMING_INTEGRATION_LIMIT.toSeconds()} seconds (15 minutes), and the streaming integration's timeout is the function's. ` +
      'Fix: use Duration.minutes(15) or less.');
  }
  if (!streaming && seconds > BUFFERED_INTEGRATION_LIMIT.toSeconds()) {
    Annotations.of(scope).addWarningV2('genai-finops:buffered-api-timeout',
      `${scope.node.path}: timeout is ${seconds} seconds, but API Gateway answers a buffered request with 504 after ${BUFFERED_INTEGRATION_LIMIT.toSeconds()} seconds (unless the account's integration timeout quota was raised) while the function keeps running and billing. ` +
      'Set responseStreaming: true to stream answers for up to 15 minutes, or a timeout of 29 seconds or less.');
  }
}

const API_WORKFLOW_PROP_KINDS = {
  ...WORKFLOW_PROP_KINDS,
  authorization: oneOf(ApiAuthorization, 'ApiAuthorization'),
  throttlingRateLimit: 'number',
  throttlingBurstLimit: 'number',
  quotaRequestsPerDay: 'number',
  allowedOrigins: 'string[]',
  cloudWatchRole: 'boolean',
  edgeRateLimit: 'object',
  responseCaching: 'boolean',
  embeddingCache: 'object',
  responseStreaming: 'boolean',
  deferTo: 'object',
} as const satisfies PropKinds<ApiWorkflowProps>;

function validateApiProps(scope: Construct, props: ApiWorkflowProps): void {
  const checks: Array<[string, number | undefined]> = [
    ['throttlingRateLimit', props.throttlingRateLimit],
    ['throttlingBurstLimit', props.throttlingBurstLimit],
    ['quotaRequestsPerDay', props.quotaRequestsPerDay],
  ];
  for (const [name, value] of checks) {
    if (value !== undefined && !Token.isUnresolved(value) && (!Number.isFinite(value) || value <= 0)) {
      throw new Error(`${scope.node.path}: ${name} is ${value}. Fix: use a positive number, or leave it out for the default.`);
    }
  }
  if (props.quotaRequestsPerDay !== undefined && props.authorization !== ApiAuthorization.API_KEY) {
    throw new Error(`${scope.node.path}: quotaRequestsPerDay is set but authorization is ${props.authorization ?? ApiAuthorization.IAM}; quotas apply to API keys only. Fix: set authorization: ApiAuthorization.API_KEY, or remove quotaRequestsPerDay.`);
  }
  if (props.responseCaching === false && props.responseCache) {
    throw new Error(`${scope.node.path}: responseCaching is false but a responseCache is given. Fix: remove responseCache to cache nothing, or remove responseCaching: false to use it.`);
  }
  if (props.allowedOrigins !== undefined && props.allowedOrigins.length === 0) {
    throw new Error(`${scope.node.path}: allowedOrigins is empty. Fix: list the origins (e.g. ['https://app.example.com']), or leave it out for no CORS.`);
  }
  if (props.allowedOrigins?.includes('*')) {
    throw new Error(`${scope.node.path}: allowedOrigins contains '*', which lets any web page spend your Bedrock budget with a visitor's credentials. Fix: list your front end's origins.`);
  }
}

function acknowledgeApiFindings(api: ApiWorkflow, authorization: ApiAuthorization, props: ApiWorkflowProps): void {
  const validations = Validations.of(api.api);
  validations.acknowledge({
    id: 'AwsSolutions-COG4',
    reason: authorization === ApiAuthorization.IAM
      ? 'Callers authenticate with IAM (SigV4), the default for service-to-service GenAI APIs; Cognito is not required.'
      : 'Callers authenticate with API keys tied to a usage plan with throttle and quota, chosen explicitly by the app.',
  });
  if (authorization === ApiAuthorization.API_KEY) {
    validations.acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The app chose API-key authorization; every method requires a key tied to a throttled, quota-limited usage plan.',
    });
  }
  if (props.allowedOrigins) {
    validations.acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'CORS preflight (OPTIONS) must be unauthenticated for browsers; it returns headers only and never reaches the Lambda.',
    });
  }
  if (!props.edgeRateLimit) {
    validations.acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'Abuse is bounded by authentication, stage throttling and (with keys) usage-plan quotas; a WAF web ACL is left to the app, which may already have one.',
    });
  }
}
