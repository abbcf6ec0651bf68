/**
 * Structured log lines: a message and the fields that attribute the work (tags, model, tokens, guard).
 *
 * In Lambda the functions' log format is JSON (GenAiFunction sets it), and the Node.js runtime then replaces the
 * console: each call becomes one JSON record with `timestamp`, `level` (the console method's, not ours) and
 * `requestId`, whose `message` is the one argument given, kept as JSON when it is an object
 * (aws-lambda-nodejs-runtime-interface-client, `formatJsonMessage`). So there the line goes through the console
 * method of its level, as an object: the record's level is right, so log-level filtering and `level = "WARN"` work,
 * and the fields stay fields (`message.tenantId`), not an escaped string. Elsewhere (tests, `genai-finops local
 * invoke`, the demo) it is one JSON line on stderr, so that stdout carries only results and metrics (EMF).
 *
 * Why not the Powertools Logger: it writes its own lines to stdout and stderr beside the runtime's console, so
 * they carry no `requestId` unless every handler adds its context, and it adds about 21 KB to each bundle and
 * some 20 ms to a cold start for features (sampling, buffering, child loggers) the handlers do not use.
 */
type Level = 'INFO' | 'WARN' | 'ERROR';

const CONSOLE_METHOD: Readonly<Record<Level, 'info' | 'warn' | 'error'>> = { INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Whether the Lambda runtime formats the console as JSON (it sets this variable from the function's LoggingConfig). */
function lambdaJsonConsole(): boolean {
  return process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON' && process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
}

function log(level: Level, message: string, fields: Record<string, unknown>): void {
  if (lambdaJsonConsole()) {
    console[CONSOLE_METHOD[level]]({ message, ...fields });
  } else {
    console.error(JSON.stringify({ level, message, ...fields }));
  }
}

/** A structured information line. */
export function logInfo(message: string, fields: Record<string, unknown> = {}): void {
  log('INFO', message, fields);
}

/** A structured warning line. */
export function logWarn(message: string, fields: Record<string, unknown> = {}): void {
  log('WARN', message, fields);
}

/** A structured error line. */
export function logError(message: string, fields: Record<string, unknown> = {}): void {
  log('ERROR', message, fields);
}
