/**
 * What a Bedrock model identifier says by itself: the base model it names, the cross-Region inference profile (and so
 * the geography) it goes through, the ARN it came in, the provider and model family, and which batch record format
 * applies. Everything here is read from the id; facts that need a table (prices, cache minimums, limits) are in
 * `model-catalog.ts` and are put together with these by `model-facts.ts`.
 *
 * The simulator, the batch workflow, the runtime and the constructs all parse ids through this module, so that an id
 * one of them accepts is read the same way by the others.
 */

/**
 * Geographies of Bedrock's system-defined cross-Region inference profiles: the prefix of the profile id without its
 * dot (`us.anthropic...` is `us`). `global` routes to any commercial Region.
 */
export type InferenceGeography = 'us' | 'us-gov' | 'eu' | 'apac' | 'jp' | 'au' | 'ca' | 'global';

/** Every geography, in no particular order. */
export const INFERENCE_GEOGRAPHIES: ReadonlyArray<InferenceGeography> = Object.freeze(
  ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'] as const,
);

/** The parts of a Bedrock ARN. */
export interface BedrockArn {
  /** `aws`, `aws-us-gov`, `aws-cn`, ... */
  readonly partition: string;
  /** Empty for foundation-model ARNs written without a Region. */
  readonly region: string;
  /** Empty for foundation-model ARNs. */
  readonly account: string;
  /** `foundation-model`, `inference-profile`, `application-inference-profile`, `provisioned-model`, ... */
  readonly resourceType: string;
  /** Everything after the resource type's slash. */
  readonly resourceId: string;
}

/** A model id, inference profile id or ARN taken apart. */
export interface ParsedModelId {
  /** The id as given, without surrounding white space. */
  readonly id: string;
  /** The ARN's parts, when the id is a well-formed Bedrock ARN. */
  readonly arn?: BedrockArn;
  /** The system-defined profile prefix with its dot (`us.`, `global.`), when the id goes through one. */
  readonly profilePrefix?: string;
  /** The geography of that prefix. */
  readonly geography?: InferenceGeography;
  /**
   * The base model id (`anthropic.claude-3-haiku-20240307-v1:0`), when the id names one. Absent for ARNs whose resource
   * id is opaque (application inference profiles, provisioned and custom models) and for strings that are not ids.
   */
  readonly baseModelId?: string;
}

// provider.model-name[-date][-vN[:M]]: the provider is lower case, the rest may carry dots (llama3-2), colons (v1:0).
const BASE_MODEL_ID = /^[a-z0-9-]+\.[A-Za-z0-9.\-:]+$/;
// A profile prefix only counts when a provider-qualified id follows it, so `us-east-1.x` is not read as `us.` + more.
const PROFILE_PREFIX = /^(us-gov|us|eu|apac|jp|au|ca|global)\.(?=[a-z0-9-]+\.)/;
const ARN = /^arn:(aws[a-z-]*):bedrock:([a-z0-9-]*):(\d*):([a-z-]+)\/(.+)$/;
// Resource types whose id is a base model id or a system-defined profile id; the others are opaque.
const MODEL_NAMING_RESOURCES: ReadonlySet<string> = new Set(['foundation-model', 'inference-profile']);

/**
 * Takes a model id, inference profile id or ARN apart.
 *
 * Never throws for a string: what cannot be read is left out of the result (no `baseModelId`), so callers decide
 * whether that is an error (the simulator rejects it, pricing falls back to the fallback price).
 *
 * @throws TypeError when `modelIdOrArn` is not a string
 */
export function parseModelId(modelIdOrArn: string): ParsedModelId {
  if (typeof modelIdOrArn !== 'string') {
    throw new TypeError(`modelId must be a string, got ${typeof modelIdOrArn}`);
  }
  const id = modelIdOrArn.trim();
  let rest = id;
  let arn: BedrockArn | undefined;
  if (id.startsWith('arn:')) {
    const match = ARN.exec(id);
    if (!match) return { id };
    const [, partition, region, account, resourceType, resourceId] = match;
    arn = { partition, region, account, resourceType, resourceId };
    if (!MODEL_NAMING_RESOURCES.has(resourceType)) return { id, arn };
    rest = resourceId;
  }
  const prefix = PROFILE_PREFIX.exec(rest);
  const geography = prefix ? (prefix[1] as InferenceGeography) : undefined;
  const base = prefix ? rest.slice(prefix[0].length) : rest;
  return {
    id,
    ...(arn ? { arn } : {}),
    ...(geography ? { profilePrefix: `${geography}.`, geography } : {}),
    ...(BASE_MODEL_ID.test(base) ? { baseModelId: base } : {}),
  };
}

/** Whether `id` has the shape of a base model id (`provider.model...`) and carries no profile prefix. */
export function isBaseModelId(id: string): boolean {
  return typeof id === 'string' && BASE_MODEL_ID.test(id) && !PROFILE_PREFIX.test(id);
}

/**
 * The id to price a model id, inference profile id or ARN under: its base model id, or, when it names none (an
 * application inference profile ARN), the last segment of what was given, which no catalog knows unless keyed by it.
 *
 * Cross-Region profiles are billed at the price of their base model (in the source Region), hence the prefix is cut.
 *
 * @example baseModelId('us.anthropic.claude-3-haiku-20240307-v1:0') // 'anthropic.claude-3-haiku-20240307-v1:0'
 */
export function baseModelId(modelIdOrArn: string): string {
  const parsed = parseModelId(modelIdOrArn);
  if (parsed.baseModelId !== undefined) return parsed.baseModelId;
  const tail = parsed.arn ? parsed.arn.resourceId : parsed.id;
  return tail.slice(tail.lastIndexOf('/') + 1);
}

/** The geography a profile prefix (`us.` or `us`) names, or undefined when it is not one. */
export function geographyOfPrefix(prefix: string): InferenceGeography | undefined {
  const bare = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  return (INFERENCE_GEOGRAPHIES as ReadonlyArray<string>).includes(bare) ? (bare as InferenceGeography) : undefined;
}

// Commercial Regions: <area>-<direction>-<n>, excluding the GovCloud, China and isolated partitions.
const COMMERCIAL_REGION = /^(?!us-gov-|cn-|us-iso)[a-z]{2}-[a-z]+-\d+$/;

/*
 * Source Regions per geography: the Regions from which a profile of that geography can be called.
 * Sources [aws-docs]: the aws-cdk `CrossRegionInferenceProfileRegion` docs and their region mapping (US: us-east-1,
 * us-east-2, us-west-2, granted across us-*; EU: eu-*; APAC: ap-* and me-central-1; JP: ap-northeast-1 and -3;
 * AU: ap-southeast-2 and -4; US-GOV: the us-gov partition; GLOBAL: every commercial Region).
 * [knowledge] CA: ca-central-1 and ca-west-1.
 * A rule by pattern rather than a list, so that a Region AWS adds to an area is accepted without a release; which
 * models a profile exists for in a given Region is not checked here.
 */
const GEOGRAPHY_REGIONS: Readonly<Record<InferenceGeography, (region: string) => boolean>> = {
  'us': (r) => /^us-(east|west)-\d+$/.test(r),
  'us-gov': (r) => /^us-gov-(east|west)-\d+$/.test(r),
  'eu': (r) => /^eu-[a-z]+-\d+$/.test(r),
  'apac': (r) => /^ap-[a-z]+-\d+$/.test(r) || r === 'me-central-1',
  'jp': (r) => r === 'ap-northeast-1' || r === 'ap-northeast-3',
  'au': (r) => r === 'ap-southeast-2' || r === 'ap-southeast-4',
  'ca': (r) => r === 'ca-central-1' || r === 'ca-west-1',
  'global': (r) => COMMERCIAL_REGION.test(r),
};

/**
 * Whether a cross-Region profile of `geography` can be called from `region` (its source Region), e.g. a `us.` profile
 * from us-east-1 but not from eu-west-1. Bedrock rejects a profile called from a Region outside its geography.
 */
export function geographyServesRegion(geography: InferenceGeography, region: string): boolean {
  const rule = GEOGRAPHY_REGIONS[geography];
  return rule !== undefined && typeof region === 'string' && rule(region);
}

/** Model families this library knows something specific about (request format, cache prices, batch records). */
export type ModelFamily = 'anthropic' | 'nova' | 'titan' | 'llama' | 'mistral' | 'cohere';

const FAMILIES: ReadonlyArray<{ readonly pattern: RegExp; readonly family: ModelFamily }> = [
  { pattern: /^anthropic\.claude/, family: 'anthropic' },
  { pattern: /^amazon\.nova-/, family: 'nova' },
  { pattern: /^amazon\.titan-/, family: 'titan' },
  { pattern: /^meta\.llama/, family: 'llama' },
  { pattern: /^mistral\./, family: 'mistral' },
  { pattern: /^cohere\./, family: 'cohere' },
];

/** The family of a model id, profile id or ARN, or undefined for a model this library has no rules for. */
export function modelFamily(modelIdOrArn: string): ModelFamily | undefined {
  const base = baseModelId(modelIdOrArn);
  return FAMILIES.find((f) => f.pattern.test(base))?.family;
}

/** The provider: the part of the base model id before the first dot (`anthropic`, `amazon`, `meta`), or `unknown`. */
export function modelProvider(modelIdOrArn: string): string {
  const base = baseModelId(modelIdOrArn);
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : 'unknown';
}

/**
 * A short name derived from the id alone: without provider, date and version
 * (`anthropic.claude-haiku-4-5-20251001-v1:0` is `claude-haiku-4-5`). The catalog's `name` wins for known models
 * (see `modelShortName` in model-facts.ts); this is the rule for the others.
 */
export function derivedShortName(modelIdOrArn: string): string {
  const base = baseModelId(modelIdOrArn);
  return base
    .slice(base.indexOf('.') + 1)
    .replace(/-v\d+(:\d+)?$/, '')
    .replace(/-\d{8}$/, '');
}

/** The native request formats batch (InvokeModel) records are written in. */
export type BatchModelFamily = 'anthropic' | 'nova';

/**
 * The batch record format of a model id, profile id or ARN: Anthropic Messages for Claude, messages-v1 for the Nova
 * understanding models (Micro, Lite, Pro, Premier and their second generation). Undefined when this library cannot
 * write batch records for the model.
 */
export function batchFormat(modelIdOrArn: string): BatchModelFamily | undefined {
  const base = baseModelId(modelIdOrArn);
  const family = modelFamily(base);
  if (family === 'anthropic') return 'anthropic';
  if (family === 'nova' && /^amazon\.nova-(?:2-)?(?:micro|lite|pro|premier)-/.test(base)) return 'nova';
  return undefined;
}
