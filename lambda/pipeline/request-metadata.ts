import { sha256Hex } from '../../shared/core';

/**
 * Converse's `requestMetadata`: string pairs Bedrock writes into its model invocation logs with the call, so every
 * logged call can be attributed to its tenant, feature and application (the bill itself only knows the profile and
 * the IAM principal). Bedrock's constraints (API reference, Converse, `RequestMetadataKeyString` /
 * `RequestMetadataValueString`): keys of 1–256 and values of 0–256 characters from `[a-zA-Z0-9\s:_@$#=/+,-.]`; any
 * other value is a ValidationException, which would refuse a paid call over a label.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/cost-mgmt-request-metadata.html
 */

/** What one call is attributed to. */
export interface CallAttribution {
  readonly application: string;
  readonly feature: string;
  readonly tenantId?: string;
  /** Joins the invocation log with the EMF record of the same request. */
  readonly requestId?: string;
}

/** The keys the pipeline sends; one place, so that log queries and tests name them alike. */
export const REQUEST_METADATA_KEYS = Object.freeze({
  application: 'application',
  feature: 'feature',
  tenantId: 'tenantId',
  requestId: 'requestId',
} as const);

/** Characters Bedrock accepts in a request-metadata value, and its length limit. */
// `\s` as Bedrock's (Java) pattern reads it: ASCII whitespace only; JavaScript's `\s` would also take Unicode spaces.
export const REQUEST_METADATA_VALUE = /^[a-zA-Z0-9 \t\n\x0B\f\r:_@$#=/+,\-.]{0,256}$/;
const MAX_VALUE_CHARS = 256;
// The escape character: always escaped itself, so an escaped value can never equal another value sent as is.
const ESCAPE = '$';
const ALLOWED_CHAR = /^[a-zA-Z0-9 \t\n\x0B\f\r:_@#=/+,\-.]$/;

/** The `requestMetadata` of a call: application, feature, tenant and request id, each made acceptable to Bedrock. */
export function requestMetadataFor(attribution: CallAttribution): Record<string, string> {
  const metadata: Record<string, string> = {
    [REQUEST_METADATA_KEYS.application]: metadataValue(attribution.application),
    [REQUEST_METADATA_KEYS.feature]: metadataValue(attribution.feature),
  };
  if (attribution.tenantId !== undefined) metadata[REQUEST_METADATA_KEYS.tenantId] = metadataValue(attribution.tenantId);
  if (attribution.requestId !== undefined) metadata[REQUEST_METADATA_KEYS.requestId] = metadataValue(attribution.requestId);
  return metadata;
}

/**
 * A value Bedrock accepts that no other value maps to, so two tenants never share a label:
 * - a value of allowed characters without `$`, at most 256 long, is sent as is (the common case, readable in logs);
 * - otherwise each character outside the allowed set, and `$` itself, becomes `$<hex code point>.` (`é` → `$e9.`),
 *   which is prefix-free, so the mapping is one to one;
 * - if that is longer than 256, the value becomes `$sha256:<hex>`: a raw `$` is always escaped, so no value sent as
 *   is or escaped starts like that, and two such values collide only if SHA-256 does.
 */
export function metadataValue(value: string): string {
  if (value.length <= MAX_VALUE_CHARS && !value.includes(ESCAPE) && REQUEST_METADATA_VALUE.test(value)) return value;
  let escaped = '';
  for (const char of value) {
    escaped += ALLOWED_CHAR.test(char) ? char : `${ESCAPE}${char.codePointAt(0)!.toString(16)}.`;
  }
  return escaped.length <= MAX_VALUE_CHARS ? escaped : `${ESCAPE}sha256:${sha256Hex(value)}`;
}
