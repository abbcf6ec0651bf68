/**
 * Structured log lines. The function's log format is JSON, so Lambda adds timestamp, level and request id; we add
 * the fields that attribute the work (tags, model, tokens). Written to stderr so that stdout carries only results
 * and metrics (EMF) — which is also what `genai-finops local invoke` relies on.
 */
export function logInfo(message: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ level: 'INFO', message, ...fields }));
}

/** A structured warning line. */
export function logWarn(message: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ level: 'WARN', message, ...fields }));
}

/** A structured error line. */
export function logError(message: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ level: 'ERROR', message, ...fields }));
}
