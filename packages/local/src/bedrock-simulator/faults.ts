import { BedrockError, BedrockMessages, inputTooLongError } from './errors';
import { FaultKind, StreamFaultKind } from './types';

/** Every fault kind, for validating input that did not come through the type checker. */
export const FAULT_KINDS: ReadonlyArray<FaultKind> = ['throttle', 'server-error', 'service-unavailable', 'model-timeout', 'context-length', 'connection-reset'];

/** FIFO of injected faults; each model call takes at most one. */
export class FaultQueue {
  private readonly queue: FaultKind[] = [];

  /** Appends `count` faults of `kind`. */
  public enqueue(kind: FaultKind, count: number): void {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`Unknown fault kind '${String(kind)}'. Use one of: ${FAULT_KINDS.join(', ')}.`);
    if (!Number.isInteger(count) || count < 0) throw new Error(`Fault count must be a non-negative integer, got ${count}.`);
    for (let i = 0; i < count; i++) this.queue.push(kind);
  }

  /** Removes and returns the oldest queued fault, if any. */
  public take(): FaultKind | undefined {
    return this.queue.shift();
  }

  /** Drops all queued faults. */
  public clear(): void {
    this.queue.length = 0;
  }
}

/** The error Bedrock returns for each fault answered with an error, with the status code the SDK's error shapes declare. */
export function faultError(kind: Exclude<FaultKind, 'connection-reset'>): BedrockError {
  switch (kind) {
    case 'throttle':
      return new BedrockError('ThrottlingException', 429, BedrockMessages.throttled);
    case 'server-error':
      return new BedrockError('InternalServerException', 500, BedrockMessages.internal);
    case 'service-unavailable':
      return new BedrockError('ServiceUnavailableException', 503, BedrockMessages.unavailable);
    case 'model-timeout':
      return new BedrockError('ModelTimeoutException', 408, BedrockMessages.modelTimeout);
    case 'context-length':
      return inputTooLongError();
  }
}

/** Every mid-stream fault kind, for validating input that did not come through the type checker. */
export const STREAM_FAULT_KINDS: ReadonlyArray<StreamFaultKind> = ['throttle', 'model-stream-error', 'server-error', 'service-unavailable', 'connection-drop', 'stall'];

/** A mid-stream fault and the number of text deltas sent before it strikes. */
export interface StreamFault {
  readonly kind: StreamFaultKind;
  readonly afterDeltas: number;
}

/** FIFO of injected mid-stream faults; each ConverseStream call takes at most one. */
export class StreamFaultQueue {
  private readonly queue: StreamFault[] = [];

  /** Appends `count` faults of `kind`, each striking after `afterDeltas` deltas. */
  public enqueue(kind: StreamFaultKind, count: number, afterDeltas: number): void {
    if (!STREAM_FAULT_KINDS.includes(kind)) throw new Error(`Unknown stream fault kind '${String(kind)}'. Use one of: ${STREAM_FAULT_KINDS.join(', ')}.`);
    if (!Number.isInteger(count) || count < 0) throw new Error(`Fault count must be a non-negative integer, got ${count}.`);
    if (!Number.isInteger(afterDeltas) || afterDeltas < 0) throw new Error(`afterDeltas must be a non-negative integer, got ${afterDeltas}.`);
    for (let i = 0; i < count; i++) this.queue.push({ kind, afterDeltas });
  }

  /** Removes and returns the oldest queued fault, if any. */
  public take(): StreamFault | undefined {
    return this.queue.shift();
  }

  /** Drops all queued faults. */
  public clear(): void {
    this.queue.length = 0;
  }
}

/** An exception event of ConverseStream's stream: its `:exception-type`, the SDK's shape name and its JSON body. */
export interface StreamException {
  readonly exceptionType: string;
  readonly errorType: string;
  readonly payload: Record<string, unknown>;
}

// ModelStreamErrorException carries the status and message the model itself failed with (originalStatusCode,
// originalMessage in the ConverseStream API reference); the simulator's model fails as an overloaded one would.
const MODEL_STREAM_ERROR_MESSAGE = 'The model encountered an error while streaming its response.';

/** The exception event each mid-stream fault that sends one sends. */
export function streamException(kind: Exclude<StreamFaultKind, 'connection-drop' | 'stall'>): StreamException {
  switch (kind) {
    case 'throttle':
      return { exceptionType: 'throttlingException', errorType: 'ThrottlingException', payload: { message: BedrockMessages.throttled } };
    case 'model-stream-error':
      return {
        exceptionType: 'modelStreamErrorException',
        errorType: 'ModelStreamErrorException',
        payload: { message: MODEL_STREAM_ERROR_MESSAGE, originalStatusCode: 529, originalMessage: 'Overloaded' },
      };
    case 'server-error':
      return { exceptionType: 'internalServerException', errorType: 'InternalServerException', payload: { message: BedrockMessages.internal } };
    case 'service-unavailable':
      return { exceptionType: 'serviceUnavailableException', errorType: 'ServiceUnavailableException', payload: { message: BedrockMessages.unavailable } };
  }
}
