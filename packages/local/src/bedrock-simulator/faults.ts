import { BedrockError, BedrockMessages, inputTooLongError } from './errors';
import { FaultKind } from './types';

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
