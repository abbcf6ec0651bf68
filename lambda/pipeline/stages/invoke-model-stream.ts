import { ConverseStreamCommand, type ConverseStreamOutput, type TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import type { ServiceTierName } from '../../../shared/contract';
import { PipelineConfig } from '../config';
import { PipelineError } from '../errors';
import { RouteDecision } from '../types';
import { converseInput, errorName, InvokeDependencies, outOfTime, retryAcrossModels } from './invoke-model';
import { ConversePrompt } from './prompt-cache';

/**
 * Receives the answer's text as it comes, with the model answering (a fallback's, when the routed one could not be
 * reached). Awaited: a slow client slows the read (back-pressure) and never loses text.
 */
export type DeltaListener = (text: string, answering: RouteDecision) => void | Promise<void>;

/** How a streamed model call went. */
export interface StreamedCall {
  /** The model that answered (a fallback may differ from the routed one). */
  readonly route: RouteDecision;
  readonly attempts: number;
  /** The text read from the stream, whole when the stream completed. */
  readonly text: string;
  /** Text deltas read. */
  readonly deltas: number;
  /** From `messageStop`. */
  readonly stopReason?: string;
  /** From the `metadata` event (the last one): absent when the stream did not complete. */
  readonly usage?: TokenUsage;
  /** The service tier Bedrock reports having served the call in (`metadata`). */
  readonly serviceTier?: string;
  /**
   * A failure after the stream opened (an exception event, a dropped connection, the deadline, a stream that ended
   * without its usage). The model ran and may have billed: the caller settles to the usage if it came, else to
   * the reservation's bound.
   */
  readonly failure?: PipelineError;
}

/**
 * Stage 9, streaming: ConverseStream with the buffered stage's prompt, route, output cap, service tier, request
 * metadata, retries and fallbacks. Retries and fallbacks cover the opening of the stream (an HTTP error: throttled,
 * 5xx, unavailable), which Bedrock does not bill. Once the stream is open the model runs: a failure from there on
 * is returned as {@link StreamedCall.failure}, never retried, even before the first delta, because a second call
 * could bill again while one reservation covers one call.
 *
 * The SDK ends the stream's iterator quietly when its HTTP/2 stream is aborted mid-way (no throw): a stream that
 * ends without `messageStop` and `metadata` is a failure too.
 */
export async function streamWithRetries(
  route: RouteDecision,
  promptFor: (route: RouteDecision) => ConversePrompt,
  maxTokens: number,
  config: PipelineConfig,
  deps: InvokeDependencies,
  serviceTier: ServiceTierName,
  requestMetadata: Readonly<Record<string, string>> | undefined,
  onDelta: DeltaListener,
): Promise<StreamedCall> {
  const opened = await retryAcrossModels(route, promptFor, config, deps,
    (candidate, prompt) => new ConverseStreamCommand(converseInput(candidate, prompt, maxTokens, serviceTier, requestMetadata)),
    (command, options) => deps.bedrock.send(command, options));
  let text = '';
  let deltas = 0;
  let stopReason: string | undefined;
  let usage: TokenUsage | undefined;
  let servedTier: string | undefined;
  const outcome = (failure?: PipelineError): StreamedCall => ({
    route: opened.route, attempts: opened.attempts, text, deltas,
    ...(stopReason !== undefined ? { stopReason } : {}),
    ...(usage ? { usage } : {}),
    ...(servedTier !== undefined ? { serviceTier: servedTier } : {}),
    ...(failure ? { failure } : {}),
  });
  try {
    const stream: AsyncIterable<ConverseStreamOutput> | undefined = opened.value.stream;
    if (!stream) return outcome(streamFailure('MODEL_STREAM_EMPTY', 'Bedrock opened no event stream.', opened.attempts, deltas));
    for await (const event of stream) {
      const piece = event.contentBlockDelta?.delta?.text;
      if (piece !== undefined && piece !== '') {
        text += piece;
        deltas++;
        await onDelta(piece, opened.route);
      } else if (event.messageStop) {
        stopReason = event.messageStop.stopReason;
      } else if (event.metadata) {
        usage = event.metadata.usage;
        servedTier = event.metadata.serviceTier?.type;
      }
    }
  } catch (error) {
    if (opened.deadline?.aborted) return outcome(outOfTime(error, opened.attempts, true));
    return outcome(midStreamError(error, opened.attempts, deltas));
  }
  if (opened.deadline?.aborted && usage === undefined) return outcome(outOfTime(undefined, opened.attempts, true));
  if (stopReason === undefined || usage === undefined) {
    return outcome(streamFailure('MODEL_STREAM_INTERRUPTED', 'The model stream ended before Bedrock reported its stop and usage (the connection was cut).', opened.attempts, deltas));
  }
  return outcome();
}

function midStreamError(error: unknown, attempts: number, deltas: number): PipelineError {
  const name = errorName(error);
  const throttled = name === 'ThrottlingException' || name === 'ServiceQuotaExceededException';
  return new PipelineError(throttled ? 429 : 502, throttled ? 'MODEL_THROTTLED' : 'MODEL_STREAM_ERROR',
    `The model stream failed after ${deltas} deltas (${name}): ${(error as Error)?.message ?? String(error)}`,
    { attempts, lastError: name, deltas, cutOffMidCall: true });
}

function streamFailure(code: string, message: string, attempts: number, deltas: number): PipelineError {
  return new PipelineError(502, code, message, { attempts, deltas, cutOffMidCall: true });
}
