/**
 * Where Bedrock offers a model: in-Region (on demand, called by its base id), through which geographies' cross-Region
 * inference profiles (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `ca.`, `us-gov.`) and through a `global.` profile. Synthesis
 * uses it to refuse a model a Region cannot serve (an in-Region Sonnet 4.5, Nova Premier through `eu.`), which would
 * otherwise fail at deploy or at the first call, and to say which options do work there.
 *
 * Data, not truth: read 2026-12-06 from the Bedrock user guide's model cards ("models at a glance": each card's
 * "Programmatic Access" ids and "Regional availability" table; they replaced "Supported foundation models in Amazon
 * Bedrock" and the per-model lists of "Supported Regions and models for inference profiles"), tagged `[aws-docs]`;
 * entries tagged `[vendor-docs]` from Anthropic's "Claude on Amazon Bedrock" page (its table of profiles: global, us, eu,
 * jp, apac); entries tagged `[catalog]` come from models.dev's amazon-bedrock table (the profile ids it lists) where
 * neither was at hand. A refusal needs a documented absence: what an AWS or Anthropic table says a model lacks is an
 * error, while what a third-party table merely does not list is a warning (the table may have gaps). A model without an
 * entry is not checked. What is not recorded is not refused: an in-Region offering
 * recorded as "somewhere" (`inRegion: true`) is not checked Region by Region, and the source Regions of a geography are
 * the geography's rule in `model-ids.ts` (`geographyServesRegion`), not each profile's own list.
 */
import { geographyServesRegion, InferenceGeography } from './model-ids';

/** Where one model is offered. */
export interface ModelAvailability {
  /**
   * In-Region on-demand offering: `false` when no Region offers the model in-Region (it is called through a profile
   * only), the Regions that do, or `true` when some Regions do and which ones is not recorded (not checked).
   */
  readonly inRegion: boolean | ReadonlyArray<string>;
  /** The geographies with a cross-Region profile for the model (without `global`). */
  readonly geographies: ReadonlyArray<Exclude<InferenceGeography, 'global'>>;
  /** Whether a `global.` profile exists. */
  readonly global: boolean;
  /** Where the entry comes from. */
  readonly source: string;
  /**
   * The options whose absence the source documents (`in-region`, a geography, `global`): only those are refused. An
   * absence elsewhere may be a gap in the data and is warned about.
   */
  readonly documentsAbsenceOf: ReadonlyArray<InvocationKey>;
}

/** An invocation option as a key: `in-region`, or a profile's geography. */
export type InvocationKey = 'in-region' | InferenceGeography;

/** The date the availability data was read. */
export const AVAILABILITY_READ_ON = '2026-12-06';

const CARD = `[aws-docs] model card, read ${AVAILABILITY_READ_ON}`;
const TABLE = `[catalog] models.dev amazon-bedrock profile ids, read ${AVAILABILITY_READ_ON}`;
// platform.claude.com/docs/en/build-with-claude/claude-on-amazon-bedrock (the legacy InvokeModel/Converse page), table
// "Base Bedrock model ID | global | us | eu | jp | apac": a "No" there is a documented absence; au., ca. and in-Region
// are not in that table, so for them it documents nothing.
const ANTHROPIC = `[vendor-docs] Anthropic, "Claude on Amazon Bedrock" profile table, read ${AVAILABILITY_READ_ON}`;
const ANTHROPIC_COLUMNS: ReadonlyArray<InvocationKey> = ['global', 'us', 'eu', 'jp', 'apac'];
const EVERY_OPTION: ReadonlyArray<InvocationKey> = ['in-region', 'global', 'us', 'eu', 'apac', 'jp', 'au', 'ca', 'us-gov'];

type Offer = Omit<ModelAvailability, 'source' | 'documentsAbsenceOf'>;
/** From a model card: every absence is documented. */
const card = (offer: Offer): ModelAvailability => ({ ...offer, source: CARD, documentsAbsenceOf: EVERY_OPTION });
/** From Anthropic's table (with `also`, a third-party source for what that table leaves out, e.g. `au.`). */
const anthropicTable = (offer: Offer, also?: string): ModelAvailability =>
  ({ ...offer, source: also ? `${ANTHROPIC}; ${also}` : ANTHROPIC, documentsAbsenceOf: ANTHROPIC_COLUMNS });
/** From a third-party table: nothing it leaves out is a documented absence. */
const table = (offer: Offer, source: string = TABLE): ModelAvailability => ({ ...offer, source, documentsAbsenceOf: [] });

/**
 * The rest of the catalog's models, from models.dev's amazon-bedrock table (read 2026-12-06): the profile ids it lists
 * (`us.` for Llama 4 Maverick and Scout and DeepSeek-R1; none for the others). It does not say where a model is offered
 * in-Region, so that is not checked (`true`), and what it does not list is warned about, never refused. Nova Micro, Lite
 * and Pro: in-Region and `us.`/`eu.`/`apac.` profiles per the Bedrock user guide's "Supported Regions and models for
 * inference profiles" (not read in full here, so its absences are not relied on either).
 */
const NOVA_1 = '[aws-docs] Bedrock user guide, inference profiles (US, EU and APAC Nova profiles; not read in full), read 2026-12-06';
const inRegionOnly = (): ModelAvailability => table({ inRegion: true, geographies: [], global: false });
const OTHER_CATALOG_MODELS: Readonly<Record<string, ModelAvailability>> = {
  'amazon.nova-micro-v1:0': table({ inRegion: true, geographies: ['us', 'eu', 'apac'], global: false }, NOVA_1),
  'amazon.nova-lite-v1:0': table({ inRegion: true, geographies: ['us', 'eu', 'apac'], global: false }, NOVA_1),
  'amazon.nova-pro-v1:0': table({ inRegion: true, geographies: ['us', 'eu', 'apac'], global: false }, NOVA_1),
  'meta.llama4-maverick-17b-instruct-v1:0': table({ inRegion: true, geographies: ['us'], global: false }),
  'meta.llama4-scout-17b-instruct-v1:0': table({ inRegion: true, geographies: ['us'], global: false }),
  'deepseek.r1-v1:0': table({ inRegion: true, geographies: ['us'], global: false }),
  ...Object.fromEntries([
    'meta.llama3-1-8b-instruct-v1:0', 'meta.llama3-1-70b-instruct-v1:0', 'meta.llama3-3-70b-instruct-v1:0',
    'mistral.mistral-large-3-675b-instruct', 'mistral.magistral-small-2509', 'mistral.ministral-3-14b-instruct',
    'mistral.ministral-3-8b-instruct', 'mistral.ministral-3-3b-instruct',
    'openai.gpt-oss-120b-1:0', 'openai.gpt-oss-20b-1:0', 'deepseek.v3-v1:0',
    'qwen.qwen3-235b-a22b-2507-v1:0', 'qwen.qwen3-32b-v1:0', 'qwen.qwen3-coder-480b-a35b-v1:0', 'qwen.qwen3-coder-30b-a3b-v1:0',
  ].map((id) => [id, inRegionOnly()])),
};

/** Availability by base model id. */
export const MODEL_AVAILABILITY: Readonly<Record<string, ModelAvailability>> = Object.freeze({
  'anthropic.claude-sonnet-4-20250514-v1:0': card({ inRegion: false, geographies: ['us', 'eu', 'apac'], global: true }),
  'anthropic.claude-sonnet-4-5-20250929-v1:0': card({ inRegion: false, geographies: ['us', 'eu', 'au', 'jp'], global: true }),
  // In-Region in us-east-1, eu-north-1, eu-west-1, ap-northeast-1, ap-southeast-4 and others: not checked Region by Region.
  'anthropic.claude-haiku-4-5-20251001-v1:0': card({ inRegion: true, geographies: ['us', 'eu', 'au', 'jp'], global: true }),
  // Anthropic's table: Opus 4.5 global, us, eu (no jp, no apac). No source documents its in-Region offering: `false`
  // comes from models.dev listing profile ids only, so an in-Region call is warned about, not refused.
  'anthropic.claude-opus-4-5-20251101-v1:0': anthropicTable({ inRegion: false, geographies: ['us', 'eu'], global: true }),
  // Anthropic's table: Opus 4.1 us only.
  'anthropic.claude-opus-4-1-20250805-v1:0': anthropicTable({ inRegion: false, geographies: ['us'], global: false }),
  // Anthropic's table: Sonnet 4.6 global, us, eu, jp (no apac); au. from models.dev (au.anthropic.claude-sonnet-4-6).
  'anthropic.claude-sonnet-4-6': anthropicTable({ inRegion: false, geographies: ['us', 'eu', 'jp', 'au'], global: true }, TABLE),
  // Anthropic's table: Opus 4.6 global, us, eu, jp and apac; au. from models.dev (au.anthropic.claude-opus-4-6-v1).
  'anthropic.claude-opus-4-6-v1': anthropicTable({ inRegion: false, geographies: ['us', 'eu', 'jp', 'apac', 'au'], global: true }, TABLE),
  // The card lists an in-Region endpoint URL, but its Regional availability table marks In-Region unsupported everywhere.
  'amazon.nova-premier-v1:0': card({ inRegion: false, geographies: ['us'], global: false }),
  'amazon.nova-2-lite-v1:0': table({ inRegion: true, geographies: ['us', 'eu', 'jp'], global: true }),
  'mistral.pixtral-large-2502-v1:0': card({ inRegion: true, geographies: ['us', 'eu'], global: false }),
  'cohere.embed-v4:0': table({ inRegion: true, geographies: ['us', 'eu'], global: true }),
  ...OTHER_CATALOG_MODELS,
});

/**
 * Regions Amazon Bedrock runs in (the union of the model cards' Region tables and the GovCloud Regions), read
 * 2026-12-06. A Region outside it is "unknown": Bedrock may have launched there since, so it is warned about, not refused.
 */
export const BEDROCK_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'ca-west-1', 'sa-east-1', 'mx-central-1',
  'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'il-central-1', 'me-central-1', 'me-south-1',
  'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2', 'ap-southeast-1',
  'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'us-gov-west-1', 'us-gov-east-1',
]);

/** What kind of Region a stack is in, for the availability checks. */
export type RegionKind = 'commercial' | 'govcloud' | 'china' | 'unknown';

/** The kind of a Region name: GovCloud and China by partition, commercial when Bedrock runs there, else unknown. */
export function regionKind(region: string): RegionKind {
  if (region.startsWith('us-gov-')) return 'govcloud';
  if (region.startsWith('cn-')) return 'china';
  return BEDROCK_REGIONS.has(region) ? 'commercial' : 'unknown';
}

/** One way to call a model: in-Region by its base id, or through a cross-Region profile of a geography. */
export type InvocationOption = { readonly kind: 'in-region' } | { readonly kind: 'profile'; readonly geography: InferenceGeography };

/** The verdict on calling a model one way from one Region. */
export interface AvailabilityFinding {
  /**
   * `error`: a documented fact says the Region cannot serve it; `warning`: it cannot be checked, or only a third-party
   * table's silence says so (the table may have gaps).
   */
  readonly level: 'error' | 'warning';
  /** What is wrong, without a fix (e.g. "'amazon.nova-premier-v1:0' has no 'eu.' cross-Region profile"). */
  readonly problem: string;
  /** The options that do work from the Region, per the data; never the one refused. Empty: none is documented. */
  readonly options: ReadonlyArray<InvocationOption>;
  /** The Regions (with the option) that can call the model, for the case where no option works from this Region. */
  readonly elsewhere: ReadonlyArray<string>;
}

/**
 * Whether `region` can call `modelId` (a base model id) in-Region (`geography` undefined) or through the profile of
 * `geography`. Undefined when the call is possible or the data has nothing to say.
 *
 * A cross-Region profile called from outside its geography, and `global.` from GovCloud or China, are refused for every
 * model (they are partition and geography facts). The rest needs an entry in {@link MODEL_AVAILABILITY}.
 */
export function checkModelAvailability(modelId: string, geography: InferenceGeography | undefined, region: string | undefined): AvailabilityFinding | undefined {
  if (region === undefined) return regionIndependent(modelId, geography);
  const kind = regionKind(region);
  const entry = MODEL_AVAILABILITY[modelId];
  // A partition or geography fact, or an absence the entry's source documents, is an error; the rest a warning.
  const finding = (problem: string, documented = true): AvailabilityFinding => {
    const options = entry ? workingOptions(entry, region, kind) : geographyOptions(region, kind);
    return { level: documented ? 'error' : 'warning', problem, options: options.filter((o) => !sameOption(o, geography)), elsewhere: entry ? elsewhere(entry) : [] };
  };
  const documented = (key: InvocationKey): boolean => entry !== undefined && entry.documentsAbsenceOf.includes(key);
  if (geography === 'global' && (kind === 'govcloud' || kind === 'china')) {
    return finding(`the 'global.' cross-Region profile routes among commercial Regions only and cannot be called from ${region} (${kind === 'govcloud' ? 'AWS GovCloud (US)' : 'an AWS China Region'})`);
  }
  if (geography !== undefined && geography !== 'global' && !geographyServesRegion(geography, region) && kind !== 'unknown') {
    return finding(`the '${geography}.' cross-Region profile can be called only from its geography's Regions, not from ${region}`);
  }
  if (!entry) return undefined;
  if (kind === 'unknown') {
    return { level: 'warning', problem: `${region} is not among the Regions the model availability data knows (read ${AVAILABILITY_READ_ON}), so whether it serves '${modelId}' is not checked`, options: [], elsewhere: [] };
  }
  if (geography === undefined) {
    if (entry.inRegion === false) return finding(`'${modelId}' is not offered in-Region in any Region (${entry.source}): it is called through a cross-Region profile only`, documented('in-region'));
    if (Array.isArray(entry.inRegion) && !entry.inRegion.includes(region)) return finding(`'${modelId}' is not offered in-Region in ${region} (${entry.source})`, documented('in-region'));
    // Bedrock runs in no AWS China Region (BEDROCK_REGIONS): a fact about the service, not about the model's source.
    if (entry.inRegion === true && kind === 'china') return finding(`'${modelId}' is not offered in ${region}: Amazon Bedrock lists no AWS China Region (${entry.source})`);
    // "In-Region somewhere" is read from commercial Regions' tables: it says nothing about GovCloud.
    if (entry.inRegion === true && kind === 'govcloud') return { level: 'warning', problem: `whether '${modelId}' is offered in-Region in ${region} (AWS GovCloud (US)) is not recorded (${entry.source}), so it is not checked`, options: [], elsewhere: [] };
    return undefined;
  }
  if (geography === 'global') {
    return entry.global ? undefined : finding(`'${modelId}' has no 'global.' cross-Region profile (${entry.source})`, documented('global'));
  }
  return entry.geographies.includes(geography) ? undefined : finding(`'${modelId}' has no '${geography}.' cross-Region profile (${entry.source}; it has: ${profilesOf(entry)})`, documented(geography));
}

/**
 * What is wrong in every Region (for a stack whose Region is not known at synthesis): a model offered in no Region
 * in-Region, called by its base id, or through a profile it does not have. The options are then left to the Region.
 */
function regionIndependent(modelId: string, geography: InferenceGeography | undefined): AvailabilityFinding | undefined {
  const entry = MODEL_AVAILABILITY[modelId];
  if (!entry) return undefined;
  const options: InvocationOption[] = [
    ...entry.geographies.map((g): InvocationOption => ({ kind: 'profile', geography: g })),
    ...(entry.global ? [{ kind: 'profile', geography: 'global' } as const] : []),
    ...(entry.inRegion !== false ? [{ kind: 'in-region' } as const] : []),
  ];
  const refuse = (problem: string, key: InvocationKey): AvailabilityFinding =>
    ({ level: entry.documentsAbsenceOf.includes(key) ? 'error' : 'warning', problem, options: options.filter((o) => !sameOption(o, geography)), elsewhere: [] });
  if (geography === undefined) {
    return entry.inRegion === false ? refuse(`'${modelId}' is not offered in-Region in any Region (${entry.source}): it is called through a cross-Region profile only`, 'in-region') : undefined;
  }
  if (geography === 'global') return entry.global ? undefined : refuse(`'${modelId}' has no 'global.' cross-Region profile (${entry.source})`, 'global');
  return entry.geographies.includes(geography) ? undefined : refuse(`'${modelId}' has no '${geography}.' cross-Region profile (${entry.source}; it has: ${profilesOf(entry)})`, geography);
}

/**
 * The way to call `modelId` from `region` the data recommends: the first geography (in the entry's order) whose profile
 * serves the Region, else `global.` in a commercial Region, else in-Region when the Region is listed. Undefined when
 * the model has no entry or no documented option serves the Region.
 */
export function preferredOption(modelId: string, region: string): InvocationOption | undefined {
  const entry = MODEL_AVAILABILITY[modelId];
  if (!entry) return undefined;
  return workingOptions(entry, region, regionKind(region))[0];
}

function workingOptions(entry: ModelAvailability, region: string, kind: RegionKind): InvocationOption[] {
  const options: InvocationOption[] = entry.geographies
    .filter((g) => geographyServesRegion(g, region))
    .map((geography) => ({ kind: 'profile', geography }));
  if (entry.global && kind === 'commercial') options.push({ kind: 'profile', geography: 'global' });
  // "In-Region somewhere, not recorded where" comes from commercial Regions' tables: no option for GovCloud or China.
  if (Array.isArray(entry.inRegion) ? entry.inRegion.includes(region) : entry.inRegion === true && kind === 'commercial') options.push({ kind: 'in-region' });
  return options;
}

// Without an entry only the geography rules are known: the profiles whose geography serves the Region.
function geographyOptions(region: string, kind: RegionKind): InvocationOption[] {
  const regional = (['us', 'eu', 'apac', 'jp', 'au', 'ca', 'us-gov'] as const).filter((g) => geographyServesRegion(g, region));
  const options: InvocationOption[] = regional.map((geography) => ({ kind: 'profile', geography }));
  if (kind === 'commercial') options.push({ kind: 'profile', geography: 'global' });
  return options;
}

function elsewhere(entry: ModelAvailability): string[] {
  const where = entry.geographies.map((g) => `the '${g}.' profile from its geography's Regions`);
  if (entry.global) where.push("the 'global.' profile from a commercial Region");
  if (Array.isArray(entry.inRegion) && entry.inRegion.length > 0) where.push(`in-Region in ${entry.inRegion.join(', ')}`);
  return where;
}

function profilesOf(entry: ModelAvailability): string {
  const profiles = [...entry.geographies.map((g) => `${g}.`), ...(entry.global ? ['global.'] : [])];
  return profiles.length > 0 ? profiles.join(', ') : 'none';
}

function sameOption(option: InvocationOption, geography: InferenceGeography | undefined): boolean {
  return geography === undefined ? option.kind === 'in-region' : option.kind === 'profile' && option.geography === geography;
}
