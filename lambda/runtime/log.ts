/**
 * One structured log line. The function's log format is JSON, so Lambda adds timestamp, level and request id;
 * we add the fields that attribute the work (tags, model, tokens).
 */
export function logInfo(message: string, fields: Record<string, unknown> = {}): void {
  console.info(JSON.stringify({ message, ...fields }));
}

/** A structured warning line. */
export function logWarn(message: string, fields: Record<string, unknown> = {}): void {
  console.warn(JSON.stringify({ message, ...fields }));
}
