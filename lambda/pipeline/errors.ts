/**
 * A request the pipeline refuses or cannot complete, with the HTTP status and a reason a caller can act on.
 * Rejected work is never charged: every stage that throws this does so before a model call, or after a call
 * that Bedrock did not bill (throttled, failed).
 */
export class PipelineError extends Error {
  constructor(
    /** HTTP status: 400 bad request, 413 too large, 429/503 retry later, 502 model error. */
    public readonly status: number,
    /** A stable code for programs, e.g. `PROMPT_TOO_LARGE`. */
    public readonly code: string,
    message: string,
    /** Numbers and fields behind the decision, returned to the caller. */
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}

/** A 400 naming the field that is wrong. */
export function badRequest(field: string, message: string): PipelineError {
  return new PipelineError(400, 'INVALID_REQUEST', `${field}: ${message}`, { field });
}
