import { BedrockRuntimeClient, CountTokensCommand, Message, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';

/** The part of a Converse prompt that `CountTokens` reads. */
export interface CountablePrompt {
  readonly system?: SystemContentBlock[];
  readonly messages: Message[];
}

/**
 * What `CountTokens` said: a count; `unsupported` when it will not count this prompt for this model (a model without
 * token counting, an id it does not take, a role not allowed to call it), which asking again does not change; or
 * `unavailable` when Bedrock could not answer now (throttled, 5xx, a timeout or a network error), which a retry may.
 */
export type TokenCount =
  | { readonly kind: 'counted'; readonly inputTokens: number }
  | { readonly kind: 'unsupported'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

// What the SDK reports for a call Bedrock did not answer now: its retryable error shapes, any 5xx, and the
// transport's own failures (a timeout, an aborted or reset connection). Anything else (ValidationException,
// AccessDeniedException, ResourceNotFoundException) is an answer about this model and this role.
const TRANSIENT_NAMES = new Set([
  'ThrottlingException', 'ServiceUnavailableException', 'InternalServerException', 'ModelNotReadyException',
  'ServiceQuotaExceededException', 'TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * The exact input tokens of a Converse prompt, from Bedrock's `CountTokens` (free of charge), for the prompt-limit
 * check near the limit and the re-count of a refused reservation. It never throws and never logs.
 *
 * @param modelId the base foundation model id (`anthropic.claude-…`, never a profile id): the CountTokens API reference
 *   takes "the unique identifier or ARN of the foundation model", and the Service Authorization Reference lists
 *   `foundation-model` as its only resource type, so the role is granted the foundation model in its own Region.
 *   https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
 */
export async function countTokensFor(bedrock: BedrockRuntimeClient, modelId: string, prompt: CountablePrompt): Promise<TokenCount> {
  try {
    const response = await bedrock.send(new CountTokensCommand({
      modelId,
      input: { converse: { system: prompt.system, messages: prompt.messages } },
    }));
    const tokens = response.inputTokens;
    return typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0
      ? { kind: 'counted', inputTokens: tokens }
      : { kind: 'unsupported', reason: 'CountTokens answered without a count' };
  } catch (error) {
    return { kind: isTransient(error) ? 'unavailable' : 'unsupported', reason: describe(error) };
  }
}

/** The count, or undefined when there is none (for callers that treat both failures alike: the batch planner). */
export function countedTokens(count: TokenCount): number | undefined {
  return count.kind === 'counted' ? count.inputTokens : undefined;
}

function isTransient(error: unknown): boolean {
  const { name, code, $metadata } = (error ?? {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (name && TRANSIENT_NAMES.has(name)) return true;
  if (code && TRANSIENT_CODES.has(code)) return true;
  const status = $metadata?.httpStatusCode;
  // No status at all: the request never got an HTTP answer (a network failure), so nothing was said about the model.
  return status === undefined ? !isServiceAnswer(error) : status >= 500 || status === 429;
}

// A modeled service error carries `$fault`; a thrown non-error (a string) or a local bug is not a Bedrock answer.
function isServiceAnswer(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$fault' in error;
}

function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  return `${name ?? 'Error'}: ${message ?? String(error)}`;
}
