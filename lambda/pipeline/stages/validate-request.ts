import { MODEL_TIERS, ModelTier } from '../../../shared/core';
import { PipelineConfig } from '../config';
import { badRequest, PipelineError } from '../errors';
import { normalizeText } from '../embedding-cache';
import { EmbedRequest, GenAiRequest, HistoryTurn } from '../types';

/** Bodies above this are refused before anything else looks at them (413), whatever the token limit. */
export const MAX_BODY_CHARS = 2_000_000;
const MAX_HISTORY_TURNS = 200;
const MAX_TEXTS = 100;
const MAX_TEXT_CHARS = 50_000;
const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Where a tenant id came from; part of the tenant as a prefix, so no source can name another source's tenant. */
export type TenantSource = 'authorizer' | 'key' | 'iam';

/** What the caller's identity says, which wins over the body (a body can claim any tenant). */
export interface RequestIdentity {
  readonly requestId: string;
  /** The tenant the identity gives (an authorizer's, an API key's id); absent: the body names it. */
  readonly tenantId?: string;
  /** Prefixed to the tenant as `<source>:`; absent (workflow-internal requests): the tenant is used as is. */
  readonly tenantSource?: TenantSource;
  /** The user the authentication gives (an authorizer's principal, an API key): the body's `userId` is ignored. */
  readonly userId?: string;
  /**
   * The authenticated principal that names its own users (an IAM caller): the body's `userId` becomes
   * `<principal>/<userId>`, so that it can never name another principal's user; without one the user is the principal.
   */
  readonly userPrincipal?: string;
}

/**
 * Stage 1 — validate: turns an untrusted JSON value into a {@link GenAiRequest}, or throws a 400 naming the field.
 * Unknown fields are ignored so that clients can send metadata without breaking.
 */
export function validateRequest(body: unknown, identity: RequestIdentity, config: PipelineConfig): GenAiRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('body', 'must be a JSON object like {"message": "...", "tenantId": "..."}.');
  }
  const b = body as Record<string, unknown>;
  const message = requiredString(b, 'message');
  const { tenantId, userId, feature } = identityFields(b, identity, config);
  return {
    requestId: identity.requestId,
    tenantId,
    userId,
    feature,
    ...runFields(b),
    systemPrompt: optionalString(b, 'system'),
    context: optionalString(b, 'context'),
    history: validateHistory(b.history),
    message,
    hints: {
      complexity: optionalTier(b.complexity),
      maxOutputTokens: optionalPositiveInteger(b, 'maxOutputTokens'),
    },
  };
}

/** Who the request is for: the identity's tenant and user win over the body's; the feature must be configured. */
function identityFields(b: Record<string, unknown>, identity: RequestIdentity, config: PipelineConfig) {
  if (identity.tenantId !== undefined && !ID_PATTERN.test(identity.tenantId)) {
    throw badRequest('tenant', 'the tenant given by the authorizer must be 1 to 128 letters, digits or . _ : @ -.');
  }
  const tenant = identity.tenantId ?? requiredId(b, 'tenantId');
  const tenantId = identity.tenantSource ? `${identity.tenantSource}:${tenant}` : tenant;
  const userId = userOf(b, identity);
  const feature = optionalId(b, 'feature') ?? config.defaultFeature;
  // Own properties only: 'constructor' or '__proto__' must not pass as a feature with undefined limits.
  if (!Object.prototype.hasOwnProperty.call(config.features, feature)) {
    throw badRequest('feature', `'${feature}' is not a feature of this workflow; use one of ${Object.keys(config.features).join(', ')}.`);
  }
  return { tenantId, userId, feature };
}

/**
 * The user a per-user limit counts: the authenticated one, or a sub-id the body names inside the authenticated
 * principal's namespace; the body alone names the user only for requests with no identity (workflow-internal ones).
 */
function userOf(b: Record<string, unknown>, identity: RequestIdentity): string {
  if (identity.userId !== undefined) return identity.userId;
  const claimed = optionalId(b, 'userId');
  if (identity.userPrincipal !== undefined) return claimed === undefined ? identity.userPrincipal : `${identity.userPrincipal}/${claimed}`;
  return claimed ?? 'anonymous';
}

/**
 * The agent run a request names: `runId`, and `parentRunId` for a child run. Labels the caller chooses, counted
 * under the authenticated tenant (never trusted to name another tenant's run).
 */
function runFields(b: Record<string, unknown>): { runId?: string; parentRunId?: string } {
  const runId = optionalId(b, 'runId');
  const parentRunId = optionalId(b, 'parentRunId');
  if (parentRunId === undefined) return runId === undefined ? {} : { runId };
  if (runId === undefined) throw badRequest('parentRunId', 'needs a runId: name the child run the call belongs to.');
  if (parentRunId === runId) throw badRequest('parentRunId', 'names the run itself; a run cannot be its own parent.');
  return { runId, parentRunId };
}

/** Parses a raw body (as API Gateway delivers it) into JSON, or throws 400/413. */
export function parseJsonBody(raw: string | null | undefined, base64: boolean): unknown {
  if (raw === null || raw === undefined || raw === '') throw badRequest('body', 'is missing; send JSON like {"message": "...", "tenantId": "..."}.');
  const text = base64 ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (text.length > MAX_BODY_CHARS) {
    throw new PipelineError(413, 'BODY_TOO_LARGE', `The body has ${text.length} characters; at most ${MAX_BODY_CHARS} are accepted.`, { chars: text.length, limit: MAX_BODY_CHARS });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('body', 'is not valid JSON.');
  }
}

function requiredString(b: Record<string, unknown>, field: string): string {
  const value = b[field];
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(field, 'must be a non-empty string.');
  return wellFormed(value, field);
}

function optionalString(b: Record<string, unknown>, field: string): string | undefined {
  const value = b[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(field, 'must be a string.');
  return value.trim() === '' ? undefined : wellFormed(value, field);
}

/**
 * Refuses text that is not well-formed UTF-16 (a lone surrogate, which JSON's `\uD800` escape can carry): encoders
 * replace it with U+FFFD, so two different messages would reach the model, the cache key and the bill as one.
 */
export function wellFormed(value: string, field: string): string {
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw badRequest(field, 'is not well-formed Unicode text: it has a lone surrogate (an unpaired \\uD800-\\uDFFF escape).');
  }
  return value;
}

function requiredId(b: Record<string, unknown>, field: string): string {
  const value = optionalId(b, field);
  if (value === undefined) throw badRequest(field, 'is required: 1 to 128 letters, digits or . _ : @ -.');
  return value;
}

function optionalId(b: Record<string, unknown>, field: string): string | undefined {
  const value = b[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) throw badRequest(field, 'must be 1 to 128 letters, digits or . _ : @ -.');
  return value;
}

function optionalTier(value: unknown): ModelTier | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(MODEL_TIERS as ReadonlyArray<string>).includes(value)) {
    throw badRequest('complexity', `must be one of ${MODEL_TIERS.join(', ')}.`);
  }
  return value as ModelTier;
}

function optionalPositiveInteger(b: Record<string, unknown>, field: string): number | undefined {
  const value = b[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw badRequest(field, 'must be a whole number of at least 1.');
  return value;
}

// Converse needs turns that alternate and start with the user; the new message is the last user turn.
function validateHistory(value: unknown): HistoryTurn[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('history', 'must be an array of {"role": "user"|"assistant", "content": "..."}.');
  if (value.length > MAX_HISTORY_TURNS) throw badRequest('history', `has ${value.length} turns; at most ${MAX_HISTORY_TURNS}.`);
  return value.map((turn, i) => {
    const t = turn as Record<string, unknown> | null;
    const expected = i % 2 === 0 ? 'user' : 'assistant';
    if (!t || typeof t !== 'object' || t.role !== expected) {
      throw badRequest(`history[${i}].role`, `must be '${expected}': turns alternate, starting with 'user'.`);
    }
    if (typeof t.content !== 'string' || t.content.trim() === '') throw badRequest(`history[${i}].content`, 'must be a non-empty string.');
    wellFormed(t.content, `history[${i}].content`);
    if (i === value.length - 1 && expected !== 'assistant') {
      throw badRequest('history', "must end with an 'assistant' turn; the new 'message' is the next user turn.");
    }
    return { role: expected, content: t.content };
  });
}

/**
 * Validates a `POST /embed` body: `texts` (1 to 100 non-empty strings of at most 50,000 characters) and the same
 * identity fields as a message request.
 */
export function validateEmbedRequest(body: unknown, identity: RequestIdentity, config: PipelineConfig): EmbedRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('body', 'must be a JSON object like {"texts": ["..."], "tenantId": "..."}.');
  }
  const b = body as Record<string, unknown>;
  validateTexts(b.texts);
  const { tenantId, userId, feature } = identityFields(b, identity, config);
  return { requestId: identity.requestId, tenantId, userId, feature, texts: b.texts };
}

/** `texts` of an embed request: 1 to 100 non-empty, well-formed strings of at most 50,000 characters. */
function validateTexts(texts: unknown): asserts texts is string[] {
  if (!Array.isArray(texts) || texts.length === 0) throw badRequest('texts', 'must be a non-empty array of strings.');
  if (texts.length > MAX_TEXTS) throw badRequest('texts', `has ${texts.length} entries; at most ${MAX_TEXTS} per call.`);
  texts.forEach((text, i) => {
    if (typeof text !== 'string' || normalizeText(text) === '') throw badRequest(`texts[${i}]`, 'must be a non-empty string.');
    if (text.length > MAX_TEXT_CHARS) throw badRequest(`texts[${i}]`, `has ${text.length} characters; at most ${MAX_TEXT_CHARS}.`);
    wellFormed(text, `texts[${i}]`);
  });
}
