import { ConverseCommand, type BedrockRuntimeClient, type ConverseCommandOutput, type ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { ModelTier } from '../../../shared/core';
import type { ServiceTierName } from '../../../shared/contract';
import { PipelineConfig } from '../config';
import { PipelineError } from '../errors';
import { RouteDecision } from '../types';
import { ConversePrompt } from './prompt-cache';
import { fallbackTiers } from './route-model';

/** What the invoke stage needs from its surroundings, injectable for tests. */
export interface InvokeDependencies {
  readonly bedrock: BedrockRuntimeClient;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
  /** When the caller stops waiting (the Lambda's remaining time); no attempt starts or runs past it. */
  readonly deadlineMs?: number;
}

// An attempt with less time than this left is not started: it could not return an answer in time.
const MIN_ATTEMPT_MS = 1_000;
// Time kept back after the last attempt to settle, record and answer before the function is stopped: one whole try
// of the ledger's settlement (1.5 s by default), which must not run past the deadline less its own 250 ms margin,
// and the response. With less, a slow settlement at the deadline would fail, and a billed call go uncounted.
export const RESPONSE_MARGIN_MS = 2_000;

/** A successful model call. */
export interface InvokeOutcome {
  readonly response: ConverseCommandOutput;
  /** The model that answered (a fallback may differ from the routed one). */
  readonly route: RouteDecision;
  readonly attempts: number;
}

// Errors worth another try: Bedrock did not run the model, so nothing was billed.
const RETRYABLE = new Set([
  'ThrottlingException', 'ServiceUnavailableException', 'InternalServerException', 'ModelTimeoutException',
  'ModelNotReadyException', 'ServiceQuotaExceededException',
]);

/**
 * Stage 9 — call Converse with bounded retries: exponential backoff with full jitter on throttling and 5xx,
 * `attemptsPerModel` calls per model, then fallbacks to cheaper tiers (never dearer unless configured), and at
 * most `maxAttempts` calls across the whole chain. Every call asks for the feature's service tier (`serviceTier`)
 * and carries `requestMetadata` (tenant, feature, application: see `../request-metadata`) into the invocation logs.
 */
export async function invokeWithRetries(
  route: RouteDecision,
  promptFor: (route: RouteDecision) => ConversePrompt,
  maxTokens: number,
  config: PipelineConfig,
  deps: InvokeDependencies,
  serviceTier: ServiceTierName = 'standard',
  requestMetadata?: Readonly<Record<string, string>>,
): Promise<InvokeOutcome> {
  const called = await retryAcrossModels(route, promptFor, config, deps,
    (candidate, prompt) => new ConverseCommand(converseInput(candidate, prompt, maxTokens, serviceTier, requestMetadata)),
    (command, options) => deps.bedrock.send(command, options));
  return { response: called.value, route: called.route, attempts: called.attempts };
}

/** What Converse and ConverseStream are both asked: the prompt, the model, the output cap, the tier, the metadata. */
export function converseInput(
  candidate: RouteDecision, prompt: ConversePrompt, maxTokens: number, serviceTier: ServiceTierName, requestMetadata?: Readonly<Record<string, string>>,
) {
  // Standard is Bedrock's default: nothing is sent, so a model without Flex or Priority is called as before.
  const tier = serviceTier === 'standard' ? undefined : { type: serviceTier };
  return {
    modelId: candidate.invokeId,
    system: prompt.system.length > 0 ? prompt.system : undefined,
    messages: prompt.messages,
    inferenceConfig: { maxTokens },
    ...(tier ? { serviceTier: tier } : {}),
    ...(requestMetadata ? { requestMetadata: { ...requestMetadata } } : {}),
  };
}

/** A call that some attempt of {@link retryAcrossModels} got an answer to. */
export interface RetriedCall<T> {
  readonly value: T;
  readonly route: RouteDecision;
  readonly attempts: number;
  /** The deadline's signal of the attempt that answered: a stream read after it must stop there too. */
  readonly deadline?: AbortSignal;
}

/** The model commands the retry loop sends. */
type ModelCommand = ConverseCommand | ConverseStreamCommand;

/**
 * The retry loop of {@link invokeWithRetries}, for any command sent to a model of the chain (Converse, and the
 * opening of a ConverseStream): backoff, attempts per model, fallbacks, the deadline, and what a failure may have
 * billed.
 */
export async function retryAcrossModels<C extends ModelCommand, T>(
  route: RouteDecision,
  promptFor: (route: RouteDecision) => ConversePrompt,
  config: PipelineConfig,
  deps: InvokeDependencies,
  build: (candidate: RouteDecision, prompt: ConversePrompt) => C,
  send: (command: C, options: { abortSignal?: AbortSignal } | undefined) => Promise<T>,
): Promise<RetriedCall<T>> {
  const chain: RouteDecision[] = [route, ...fallbackTiers(route.tier, config).map((fallbackTier) => fallbackRoute(fallbackTier, route, config))];
  const { maxAttempts, attemptsPerModel } = config.retry;
  let attempts = 0;
  let lastError: unknown;

  for (const candidate of chain) {
    for (let onThisModel = 0; onThisModel < attemptsPerModel && attempts < maxAttempts; onThisModel++) {
      if (attempts > 0) await deps.sleep(backoffMs(attempts, config, deps.random));
      const timeLeft = deps.deadlineMs === undefined ? undefined : deps.deadlineMs - deps.now() - RESPONSE_MARGIN_MS;
      // No attempt is in flight here, and every earlier one failed unbilled (throttled, 5xx): nothing was billed.
      if (timeLeft !== undefined && timeLeft < MIN_ATTEMPT_MS) throw outOfTime(lastError, attempts, false);
      attempts++;
      // Built per model: cache points depend on the model's minimum, and a fallback may not cache at all. Built
      // before the call, so that its failures are never taken for a lost connection.
      let prompt: ConversePrompt;
      try {
        prompt = promptFor(candidate);
      } catch (error) {
        throw toPipelineError(error, attempts);
      }
      const deadline = timeLeft === undefined ? undefined : AbortSignal.timeout(timeLeft);
      const command = build(candidate, prompt);
      const handedOver = markHandOver(command);
      try {
        const value = await send(command, deadline === undefined ? undefined : { abortSignal: deadline });
        return { value, route: candidate, attempts, ...(deadline ? { deadline } : {}) };
      } catch (error) {
        lastError = error;
        // Cut off mid-call: Bedrock may have run (and billed) the model.
        if (deadline?.aborted) throw outOfTime(error, attempts, true);
        // No answer from Bedrock at all (connection reset, socket hang up) after the request went out: it may have run
        // and billed the model. Not retried: another call could bill again; the caller counts this one at its bound.
        if (httpStatusOf(error) === undefined && handedOver() && !neverSent(error)) throw connectionLost(error, attempts);
        if (!isRetryable(error)) throw toPipelineError(error, attempts);
      }
    }
    if (attempts >= maxAttempts) break;
  }
  throw exhausted(lastError, attempts);
}

function fallbackRoute(tier: ModelTier, from: RouteDecision, config: PipelineConfig): RouteDecision {
  return { tier, ...config.tiers[tier]!, reasons: [...from.reasons, `fallback from ${from.tier} after retries`] };
}

function backoffMs(attempt: number, config: PipelineConfig, random: () => number): number {
  const ceiling = Math.min(config.retry.maxDelayMs, config.retry.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? 'Error';
}

/**
 * Whether the command got past the SDK's own steps (endpoint, credentials, signing) to the HTTP handler: from
 * there on, a failure without an answer may come after Bedrock received the request. A client without the
 * middleware stack (a stub) never reports a hand-over.
 */
function markHandOver(command: ModelCommand): () => boolean {
  let handedOver = false;
  // Both commands share the one middleware stack type of the client; the marker reads nothing of the input.
  (command as ConverseCommand).middlewareStack?.add((next) => (args) => {
    handedOver = true;
    return next(args);
  }, { step: 'deserialize', priority: 'low', name: 'genaiFinopsHandOverMarker' });
  return () => handedOver;
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

// Failures that happen before any byte of the request leaves: no connection (refused, no such host), no credentials.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const NOT_SENT_NAMES = new Set(['CredentialsProviderError', 'TokenProviderError']);

/**
 * Whether an error without an HTTP status is known to have come before the request was sent. Socket errors arrive
 * wrapped (an HTTP/2 stream cancelled because its session could not connect), so the causes are read too; an error
 * from another realm the SDK rewraps keeping only the message ("AWS SDK error wrapper for … caused by: connect
 * ECONNREFUSED …"), so the message is read last.
 */
function neverSent(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (NOT_SENT_NAMES.has(errorName(e)) || (typeof code === 'string' && NOT_SENT_CODES.has(code))) return true;
    if (/^AWS SDK error wrapper for .*\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)\b/s.test(String((e as Error).message ?? ''))) return true;
  }
  return false;
}

function isRetryable(error: unknown): boolean {
  const status = httpStatusOf(error);
  return RETRYABLE.has(errorName(error)) || (status !== undefined && status >= 500);
}

export function toPipelineError(error: unknown, attempts: number): PipelineError {
  const message = (error as Error)?.message ?? String(error);
  if (errorName(error) === 'ValidationException' && /too long|too many tokens|context/i.test(message)) {
    return new PipelineError(413, 'CONTEXT_LENGTH_EXCEEDED', `The model rejected the prompt as too long: ${message}`, { attempts });
  }
  if (errorName(error) === 'ValidationException') {
    return new PipelineError(400, 'MODEL_REJECTED_REQUEST', `The model rejected the request: ${message}`, { attempts });
  }
  return new PipelineError(502, 'MODEL_ERROR', `The model call failed (${errorName(error)}): ${message}`, { attempts });
}

/**
 * The deadline came. `cutOffMidCall`: an attempt was running when it came, so Bedrock may have billed it; otherwise
 * no attempt was started in time, and the earlier ones all failed unbilled.
 */
export function outOfTime(error: unknown, attempts: number, cutOffMidCall: boolean): PipelineError {
  return new PipelineError(503, 'MODEL_DEADLINE_EXCEEDED',
    `Bedrock did not answer within the time the function had left (${attempts} attempts). Retry later, or lower maxOutputTokens.`,
    { attempts, lastError: error === undefined ? undefined : errorName(error), cutOffMidCall });
}

/** The connection failed with no answer after the request was sent: Bedrock may have billed the call. */
function connectionLost(error: unknown, attempts: number): PipelineError {
  return new PipelineError(502, 'MODEL_CONNECTION_LOST',
    `The connection to Bedrock failed after the request was sent (${errorName(error)}: ${(error as Error)?.message ?? String(error)}); the call may have been billed.`,
    { attempts, lastError: errorName(error), cutOffMidCall: true });
}

/**
 * Whether an error of {@link invokeWithRetries} may come after a billed call: a call cut off mid-way, by the
 * deadline or by a connection that failed without an answer. Bedrock errors with a status (throttled, invalid,
 * unavailable) did not run the model.
 */
export function mayHaveBilled(error: unknown): boolean {
  return error instanceof PipelineError && error.details.cutOffMidCall === true;
}

function exhausted(error: unknown, attempts: number): PipelineError {
  const throttled = errorName(error) === 'ThrottlingException' || errorName(error) === 'ServiceQuotaExceededException';
  return new PipelineError(throttled ? 429 : 503, throttled ? 'MODEL_THROTTLED' : 'MODEL_UNAVAILABLE',
    `Bedrock did not answer after ${attempts} attempts (last: ${errorName(error)}). Retry later.`,
    { attempts, lastError: errorName(error) });
}
