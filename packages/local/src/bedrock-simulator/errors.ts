/**
 * A failure to report to the client in Bedrock's wire format: an `x-amzn-errortype` header plus a JSON
 * `{ "message": ... }` body. The SDK picks the exception class from the header, so `errorType` must be
 * one of the shape names the SDK registers (ThrottlingException, ValidationException, ...).
 */
export class BedrockError extends Error {
  /**
   * @param errorType the Smithy shape name, e.g. `ThrottlingException`
   * @param status the HTTP status Bedrock uses for that shape
   * @param message the human-readable message
   */
  public constructor(
    public readonly errorType: string,
    public readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

/** Messages Bedrock returns verbatim, kept in one place so tests and callers can match on them. */
export const BedrockMessages = {
  inputTooLong: 'Input is too long for requested model.',
  malformedInput: 'Malformed input request, please reformat your input and try again.',
  invalidModel: 'The provided model identifier is invalid.',
  unsupportedCaching:
    'You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.',
  unsupportedOperation: "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
  throttled: 'Too many requests, please wait before trying again.',
  internal: 'The system encountered an unexpected error during processing. Try your request again.',
  unavailable: 'Bedrock is unable to process your request.',
  modelTimeout: 'Model has timed out in processing the request. Try your request again.',
} as const;

/** A 400 ValidationException with `message`. */
export function validationError(message: string): BedrockError {
  return new BedrockError('ValidationException', 400, message);
}

/** The ValidationException Bedrock returns when the prompt exceeds the model's context window. */
export function inputTooLongError(): BedrockError {
  return validationError(BedrockMessages.inputTooLong);
}
