import { MODEL_TIERS, ModelTier } from '../../core';
import { PipelineConfig } from '../config';
import { badRequest, PipelineError } from '../errors';
import { GenAiRequest, HistoryTurn } from '../types';

/** Bodies above this are refused before anything else looks at them (413), whatever the token limit. */
export const MAX_BODY_CHARS = 2_000_000;
const MAX_HISTORY_TURNS = 200;
const ID_PATTERN = /^[A-Za-z0-9._:@\-]{1,128}$/;

/** What the caller's identity says, which wins over the body (a body can claim any tenant). */
export interface RequestIdentity {
  readonly requestId: string;
  readonly tenantId?: string;
  readonly userId?: string;
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
  if (identity.tenantId !== undefined && !ID_PATTERN.test(identity.tenantId)) {
    throw badRequest('tenant', 'the tenant given by the authorizer must be 1 to 128 letters, digits or . _ : @ -.');
  }
  const tenantId = identity.tenantId ?? requiredId(b, 'tenantId');
  const userId = identity.userId ?? optionalId(b, 'userId') ?? 'anonymous';
  const feature = optionalId(b, 'feature') ?? config.defaultFeature;
  // Own properties only: 'constructor' or '__proto__' must not pass as a feature with undefined limits.
  if (!Object.prototype.hasOwnProperty.call(config.features, feature)) {
    throw badRequest('feature', `'${feature}' is not a feature of this workflow; use one of ${Object.keys(config.features).join(', ')}.`);
  }
  return {
    requestId: identity.requestId,
    tenantId,
    userId,
    feature,
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
  return value;
}

function optionalString(b: Record<string, unknown>, field: string): string | undefined {
  const value = b[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(field, 'must be a string.');
  return value.trim() === '' ? undefined : value;
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
    if (i === value.length - 1 && expected !== 'assistant') {
      throw badRequest('history', "must end with an 'assistant' turn; the new 'message' is the next user turn.");
    }
    return { role: expected, content: t.content };
  });
}
