import { validationError } from './errors';

// Bedrock's `RequestMetadataKeyString` and `RequestMetadataValueString` (Converse API reference): 1–256 and 0–256
// characters of letters, digits, whitespace and `:_@$#=/+,-.`. Bedrock reads `\s` as ASCII whitespace (Java).
const KEY = /^[a-zA-Z0-9 \t\n\x0B\f\r:_@$#=/+,\-.]{1,256}$/;
const VALUE = /^[a-zA-Z0-9 \t\n\x0B\f\r:_@$#=/+,\-.]{0,256}$/;

/**
 * A Converse request's `requestMetadata`, checked as Bedrock checks it (a ValidationException otherwise), for the
 * call log: what Bedrock would write into its model invocation logs. Undefined when none was sent.
 */
export function readRequestMetadata(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw validationError('requestMetadata must be a map of strings.');
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (!KEY.test(key)) throw validationError(`requestMetadata key '${key}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}`);
    if (typeof entry !== 'string' || !VALUE.test(entry)) {
      throw validationError(`requestMetadata value of '${key}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}`);
    }
    metadata[key] = entry;
  }
  return metadata;
}

/**
 * InvokeModel's request metadata: the `X-Amzn-Bedrock-Request-Metadata` header, a JSON object whose keys and values
 * are strings (https://docs.aws.amazon.com/bedrock/latest/userguide/cost-mgmt-request-metadata.html), checked like
 * Converse's. Undefined when the header was not sent.
 */
export function readRequestMetadataHeader(header: string | undefined): Readonly<Record<string, string>> | undefined {
  if (header === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    throw validationError('X-Amzn-Bedrock-Request-Metadata must be a JSON object of strings.');
  }
  return readRequestMetadata(parsed);
}
