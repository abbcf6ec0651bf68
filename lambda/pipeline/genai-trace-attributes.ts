import type { SpendPath } from '../../shared/contract';
import type { SpendRecord } from './stages/record-request';

/**
 * OpenTelemetry GenAI semantic-convention attribute names (semantic-conventions-genai, `model/gen-ai/registry.yaml`,
 * status Development), as the current conventions spell them: `gen_ai.provider.name` (which replaced `gen_ai.system`
 * after v1.36) and `gen_ai.usage.cache_read.input_tokens` / `gen_ai.usage.cache_creation.input_tokens` (which replaced
 * the `cache_read_input_tokens` spellings). Only the current names are emitted, as the conventions ask of a new
 * instrumentation (no `OTEL_SEMCONV_STABILITY_OPT_IN` to honour).
 */
export const GEN_AI = Object.freeze({
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
} as const);

/** The value of `gen_ai.provider.name` for Amazon Bedrock (the registry's `aws.bedrock` member). */
export const AWS_BEDROCK_PROVIDER = 'aws.bedrock';

/**
 * The library's own attributes, under its own namespace (OpenTelemetry asks that custom attributes not take a
 * `gen_ai.` name): what the conventions have no name for, the call's cost and the scopes it was counted on.
 */
export const GENAI_FINOPS = Object.freeze({
  costUsd: 'genai_finops.cost.usd',
  costEstimated: 'genai_finops.cost.estimated',
  costPriced: 'genai_finops.cost.priced',
  savedUsd: 'genai_finops.cost.saved_usd',
  runId: 'genai_finops.run.id',
  parentRunId: 'genai_finops.run.parent_id',
  tenantId: 'genai_finops.tenant.id',
  application: 'genai_finops.application',
  environment: 'genai_finops.environment',
  feature: 'genai_finops.feature',
  path: 'genai_finops.path',
  requestId: 'genai_finops.request.id',
  serviceTier: 'genai_finops.service_tier',
  routeTier: 'genai_finops.route.tier',
  responseCache: 'genai_finops.response_cache',
  attempts: 'genai_finops.attempts',
  streamOutcome: 'genai_finops.stream.outcome',
} as const);

/** A span attribute's value: OpenTelemetry allows primitives (and arrays of them, not used here). */
export type TraceAttributeValue = string | number | boolean;

/** The semantic conventions' operation for each spend path (a batch job's records are chat completions too). */
const OPERATION: Record<SpendPath, string> = { converse: 'chat', embedding: 'embeddings', batch: 'chat' };

/**
 * Whether a record stands for a model call a trace should show: answered (a cache hit included, at $0) with a model.
 * Refusals reached no model and cost nothing; they stay in the metrics (`Rejected`, `Failed`).
 */
export function isTracedCall(record: SpendRecord): boolean {
  return record.status < 400 && record.modelId !== undefined;
}

/** The span's name as the conventions give it: `{gen_ai.operation.name} {gen_ai.request.model}`. */
export function genAiSpanName(record: SpendRecord): string {
  return `${OPERATION[record.path]} ${record.modelId ?? ''}`.trim();
}

/**
 * A model call's trace attributes: the GenAI conventions' names for what Bedrock was asked and billed, the library's
 * for its cost (USD, exact, from the catalog) and the scopes it counted on (run, parent run, tenant, feature), so a
 * run's cost can be summed across its calls in any OpenTelemetry backend.
 *
 * `gen_ai.usage.input_tokens` includes cache reads and writes, as the conventions define it; Bedrock's `inputTokens`
 * excludes them (and the library's metrics keep Bedrock's meaning), so the attribute is their sum.
 *
 * The user id is left out on purpose: it names a person, and traces are kept and shared more widely than the
 * EMF records that carry it. The tenant id names a customer account, not a person, and is already in Bedrock's
 * invocation logs (`requestMetadata`); it is what a run is scoped to.
 */
export function genAiTraceAttributes(record: SpendRecord): Record<string, TraceAttributeValue> {
  const attributes: Record<string, TraceAttributeValue> = {
    [GEN_AI.operationName]: OPERATION[record.path],
    [GEN_AI.providerName]: AWS_BEDROCK_PROVIDER,
  };
  const set = (name: string, value: TraceAttributeValue | undefined) => {
    if (value !== undefined && value !== '') attributes[name] = value;
  };
  set(GEN_AI.requestModel, record.modelId);
  set(GEN_AI.responseModel, record.modelId);
  set(GEN_AI.requestMaxTokens, record.maxOutputTokens);
  if (record.stream) set(GEN_AI.requestStream, true);
  const usage = record.usage;
  if (usage) {
    set(GEN_AI.inputTokens, usage.inputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens);
    set(GEN_AI.outputTokens, usage.outputTokens);
    set(GEN_AI.cacheReadInputTokens, usage.cacheReadInputTokens);
    set(GEN_AI.cacheCreationInputTokens, usage.cacheWriteInputTokens);
  }
  set(GENAI_FINOPS.costUsd, record.costUsd ?? 0);
  set(GENAI_FINOPS.costEstimated, record.estimated ?? false);
  set(GENAI_FINOPS.costPriced, record.priced);
  set(GENAI_FINOPS.savedUsd, record.responseCache === 'hit' ? record.savedUsd : undefined);
  set(GENAI_FINOPS.runId, record.runId);
  set(GENAI_FINOPS.parentRunId, record.parentRunId);
  set(GENAI_FINOPS.tenantId, record.tenantId);
  set(GENAI_FINOPS.application, record.application);
  set(GENAI_FINOPS.environment, record.environment);
  set(GENAI_FINOPS.feature, record.feature);
  set(GENAI_FINOPS.path, record.path);
  set(GENAI_FINOPS.requestId, record.requestId);
  set(GENAI_FINOPS.serviceTier, record.serviceTier);
  set(GENAI_FINOPS.routeTier, record.route?.tier);
  set(GENAI_FINOPS.responseCache, record.responseCache);
  set(GENAI_FINOPS.attempts, record.attempts);
  set(GENAI_FINOPS.streamOutcome, record.stream?.outcome);
  return attributes;
}
