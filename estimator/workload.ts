/**
 * The estimator's workload file: what a GenAI feature sends to Bedrock, how often, and which cost levers it uses.
 * {@link parseWorkload} checks the parsed JSON and fills in the defaults; every mistake is a {@link WorkloadError}
 * naming the JSON path, the value received and the fix. The format is documented in the README ("Estimate a workload before you build it").
 */
import { AT_LIMIT_BEHAVIOURS, DEFAULT_AT_LIMIT, DEFAULT_NEAR_LIMIT_SHARE, DEFAULT_NEAR_LIMIT_TIER, MODEL_TIERS, ModelTier, NEAR_LIMIT_ACTIONS, NearLimitConfig, SERVICE_TIERS, ServiceTierName } from '../shared/contract';
import { ModelPrice, PRICE_FIELDS } from '../shared/core/model-catalog';
import { add, fromNumber, toNumber, ZERO } from './exact';
import { jsonErrorOffset, lineAndColumn } from './json-position';

/** The input parts of a request, in prompt order (a prompt-cache prefix covers the first parts). */
export const PROMPT_PARTS = ['systemPrompt', 'ragContext', 'history', 'userInput'] as const;
/** One input part of a request. */
export type PromptPart = (typeof PROMPT_PARTS)[number];

/** The largest monthly request count accepted: beyond it a figure is a typo, not a workload. */
export const MAX_REQUESTS_PER_MONTH = 1e12;
/** The largest token count accepted for one part of one request (ten times the largest context window). */
export const MAX_TOKENS_PER_PART = 10_000_000;
/** The largest hourly instance price, instance count and capacity accepted for a SageMaker comparison. */
export const MAX_SAGEMAKER_HOURLY_USD = 10_000;
export const MAX_SAGEMAKER_INSTANCES = 10_000;
/** Hours in a 31-day month. */
export const MAX_HOURS_PER_MONTH = 744;
/** Days per month when requests are given per day: 365/12 (730 hours), AWS's convention for monthly prices. */
export const DEFAULT_DAYS_PER_MONTH = 365 / 12;
/** Hours per month an always-on endpoint is billed: AWS's 730-hour month. */
export const DEFAULT_HOURS_PER_MONTH = 730;

/** Average token counts of one request, by part. */
export interface WorkloadTokens {
  readonly systemPrompt: number;
  readonly ragContext: number;
  readonly history: number;
  readonly userInput: number;
  /** Output tokens without any output cap. */
  readonly output: number;
}

/** Where a share of the traffic goes. `tier` is `all` for a single-model workload. */
export interface TrafficShare {
  readonly tier: ModelTier | 'all';
  readonly model: string;
  readonly share: number;
}

/** Prompt caching of the parts that are the same across requests. */
export interface PromptCacheSettings {
  readonly parts: ReadonlyArray<PromptPart>;
  /** Share of the model calls that write the cache (the rest read it); undefined: derived from the TTL. */
  readonly cacheWriteShare?: number;
  readonly ttl: '5m' | '1h';
  /** Distinct cached prefixes (e.g. one per tenant or language) kept warm; used only to derive the write share. */
  readonly distinctPrefixes: number;
}

/** SageMaker real-time endpoint to compare with. */
export interface SageMakerSettings {
  readonly instanceType?: string;
  readonly hourlyUsd: number;
  readonly instances: number;
  readonly hoursPerMonth: number;
  /** USD per 1M tokens billed on top of the instance (a model package's licence fee); 0 for an open model. */
  readonly perMillionTokensUsd: number;
  /** What one instance serves, if known: tokens (input + output) or requests per second. */
  readonly tokensPerSecond?: number;
  readonly requestsPerSecond?: number;
}

/** What the library's own AWS resources need to be priced. */
export interface LibrarySettings {
  readonly latencySeconds: number;
  readonly lambdaMemoryMb: number;
  readonly applications: number;
  readonly features: number;
  /** Model dimension values; undefined: the workload's distinct models. */
  readonly models?: number;
  /** Metric names per dimension combination; undefined: the pipeline's metric count. */
  readonly metricsPerCombination?: number;
  readonly dashboards: number;
  readonly alarms: number;
  /** WAF web ACL rules; 0: no WAF. */
  readonly wafRules: number;
  readonly budgets: number;
  readonly actionBudgets: number;
  readonly ledgerWritesPerRequest: number;
  readonly logBytesPerRequest: number;
  readonly curStorageGb: number;
  readonly athenaTbScannedPerMonth: number;
}

/** A validated workload with every default filled in. */
export interface Workload {
  readonly description?: string;
  /** Requests as given: per month, or per day (then `daysPerMonth` makes the month). */
  readonly requests: { readonly per: 'month' | 'day'; readonly count: number; readonly daysPerMonth: number };
  readonly tokens: WorkloadTokens;
  readonly traffic: ReadonlyArray<TrafficShare>;
  readonly promptCache?: PromptCacheSettings;
  /** The response cache, when the workload uses it: the share of requests that repeat an earlier one exactly. */
  readonly responseCache?: { readonly duplicateRate: number };
  readonly outputCap?: number;
  readonly batchShare: number;
  readonly serviceTier: { readonly tier: ServiceTierName; readonly priceMultiplier?: number };
  /** Prices over the catalog's, by model id: any fields of a catalog entry (the library's overrides and more). */
  readonly prices: Readonly<Record<string, Partial<ModelPrice>>>;
  readonly sagemaker?: SageMakerSettings;
  readonly library: LibrarySettings;
  /** A monthly USD limit on the workload's whole traffic (a feature's, or one tenant's when the workload is its traffic). */
  readonly budget?: { readonly usdPerMonth: number };
  /** What the feature does as the budget nears (the workflows' `nearLimit` prop); only with a budget. */
  readonly nearLimit?: NearLimitConfig;
}

/** A mistake in a workload file: the JSON path, what was received and the fix. */
export class WorkloadError extends Error {
  constructor(message: string, public readonly path: string) {
    super(message);
    this.name = 'WorkloadError';
  }
}

type Json = Record<string, unknown>;

const TOP_FIELDS = ['$schema', 'description', 'requests', 'tokens', 'model', 'routing', 'promptCache', 'responseCache', 'outputCap', 'batchShare', 'serviceTier', 'prices', 'sagemaker', 'library', 'budget', 'nearLimit'];
const PRICE_OVERRIDE_FIELDS = ['provider', 'name', 'kind', ...PRICE_FIELDS, 'batchDiscount', 'minCacheTokens', 'contextWindow', 'maxOutputTokens', 'regionalPremium', 'source'];

/**
 * Reads parsed workload JSON into a {@link Workload}.
 *
 * @param json the file's content, already parsed (see {@link parseWorkloadText} for text)
 * @param source how to name the file in messages
 * @throws WorkloadError naming the path, the value and the fix
 */
export function parseWorkload(json: unknown, source = 'workload'): Workload {
  const r = new Reader(source);
  const root = r.object(json, '', 'a workload object: {"requests": {"perMonth": 1000}, "tokens": {...}, "model": "..."}');
  r.known(root, '', TOP_FIELDS);

  const description = r.optionalString(root.description, 'description');
  const requests = readRequests(r, root.requests);
  const tokens = readTokens(r, root.tokens);
  const traffic = readTraffic(r, root.model, root.routing);

  let promptCache: PromptCacheSettings | undefined;
  if (root.promptCache !== undefined) {
    const pc = r.object(root.promptCache, 'promptCache', '{"parts": ["systemPrompt"], "cacheWriteShare": 0.01, "ttl": "5m"}');
    r.known(pc, 'promptCache', ['parts', 'cacheWriteShare', 'ttl', 'distinctPrefixes']);
    if (!Array.isArray(pc.parts) || pc.parts.length === 0) {
      r.fail('promptCache.parts', pc.parts, `a non-empty list of the cached parts, from ${PROMPT_PARTS.join(', ')}`);
    }
    const parts = (pc.parts as unknown[]).map((p, i) => r.oneOf(p, `promptCache.parts[${i}]`, PROMPT_PARTS));
    if (new Set(parts).size !== parts.length) r.fail('promptCache.parts', pc.parts, 'each part listed once');
    promptCache = {
      parts,
      cacheWriteShare: pc.cacheWriteShare === undefined ? undefined : r.fraction(pc.cacheWriteShare, 'promptCache.cacheWriteShare'),
      ttl: pc.ttl === undefined ? '5m' : r.oneOf(pc.ttl, 'promptCache.ttl', ['5m', '1h'] as const),
      distinctPrefixes: pc.distinctPrefixes === undefined ? 1 : r.integer(pc.distinctPrefixes, 'promptCache.distinctPrefixes', 1, 1e9),
    };
  }

  let responseCache: Workload['responseCache'];
  if (root.responseCache !== undefined) {
    const rc = r.object(root.responseCache, 'responseCache', '{"duplicateRate": 0.3}');
    r.known(rc, 'responseCache', ['duplicateRate']);
    responseCache = { duplicateRate: r.fraction(rc.duplicateRate, 'responseCache.duplicateRate') };
  }

  const outputCap = root.outputCap === undefined ? undefined : r.integer(root.outputCap, 'outputCap', 1, MAX_TOKENS_PER_PART);
  const batchShare = root.batchShare === undefined ? 0 : r.fraction(root.batchShare, 'batchShare');
  const serviceTier = readServiceTier(r, root.serviceTier);
  const prices = readPrices(r, root.prices);
  const sagemaker = root.sagemaker === undefined ? undefined : readSageMaker(r, root.sagemaker);
  const library = readLibrary(r, root.library);
  const budget = root.budget === undefined ? undefined : readBudget(r, root.budget);
  const nearLimit = root.nearLimit === undefined ? undefined : readNearLimit(r, root.nearLimit, budget, traffic, responseCache);

  return deepFreeze({
    ...(description !== undefined ? { description } : {}),
    requests,
    tokens,
    traffic,
    ...(promptCache ? { promptCache } : {}),
    ...(responseCache ? { responseCache } : {}),
    ...(outputCap !== undefined ? { outputCap } : {}),
    batchShare,
    serviceTier,
    prices,
    ...(sagemaker ? { sagemaker } : {}),
    library,
    ...(budget ? { budget } : {}),
    ...(nearLimit ? { nearLimit } : {}),
  });
}

/**
 * Parses workload text: a JSON syntax error becomes a {@link WorkloadError} with the line and column (a trailing
 * comma, a missing quote), then {@link parseWorkload}.
 */
export function parseWorkloadText(text: string, source = 'workload'): Workload {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const offset = jsonErrorOffset(text);
    let where = '';
    if (offset !== undefined) {
      const { line, column } = lineAndColumn(text, offset);
      const found = offset < text.length ? `${JSON.stringify(text[offset])}` : 'the end of the file';
      where = ` at line ${line}, column ${column} (${found})`;
    }
    const reason = (e as Error).message.split(/, "|\n/)[0].replace(/ in JSON at position \d+.*$/, '');
    throw new WorkloadError(`${source}: not valid JSON${where}: ${reason}. Fix: check for a trailing comma, a missing comma or quote (JSON allows no comments).`, '');
  }
  return parseWorkload(json, source);
}

function readRequests(r: Reader, value: unknown): Workload['requests'] {
  const hint = '{"perMonth": 1000000} or {"perDay": 10000}';
  const req = r.object(value, 'requests', hint);
  r.known(req, 'requests', ['perMonth', 'perDay', 'daysPerMonth']);
  if ((req.perMonth === undefined) === (req.perDay === undefined)) {
    r.fail('requests', value, `exactly one of perMonth or perDay: ${hint}`);
  }
  const daysPerMonth = req.daysPerMonth === undefined ? DEFAULT_DAYS_PER_MONTH : r.number(req.daysPerMonth, 'requests.daysPerMonth', 1, 31, 'days per month, from 1 to 31');
  if (req.perMonth !== undefined) {
    if (req.daysPerMonth !== undefined) r.fail('requests.daysPerMonth', req.daysPerMonth, 'daysPerMonth only with perDay');
    return { per: 'month', count: r.number(req.perMonth, 'requests.perMonth', 0, MAX_REQUESTS_PER_MONTH, `requests per month, from 0 to ${MAX_REQUESTS_PER_MONTH.toExponential()}`), daysPerMonth };
  }
  const maxPerDay = Math.floor(MAX_REQUESTS_PER_MONTH / 31);
  return { per: 'day', count: r.number(req.perDay, 'requests.perDay', 0, maxPerDay, `requests per day, from 0 to ${maxPerDay.toExponential(2)}`), daysPerMonth };
}

function readTokens(r: Reader, value: unknown): WorkloadTokens {
  const t = r.object(value, 'tokens', '{"systemPrompt": 3500, "history": 2000, "ragContext": 1200, "userInput": 20, "output": 300}');
  r.known(t, 'tokens', [...PROMPT_PARTS, 'output']);
  const count = (field: string) => (t[field] === undefined ? 0 : r.integer(t[field], `tokens.${field}`, 0, MAX_TOKENS_PER_PART));
  return { systemPrompt: count('systemPrompt'), ragContext: count('ragContext'), history: count('history'), userInput: count('userInput'), output: count('output') };
}

function readTraffic(r: Reader, model: unknown, routing: unknown): ReadonlyArray<TrafficShare> {
  if (model !== undefined && routing !== undefined) r.fail('routing', routing, 'either "model" or "routing", not both');
  if (model === undefined && routing === undefined) {
    r.fail('model', undefined, 'a base model id ("model": "anthropic.claude-3-haiku-20240307-v1:0") or a routing mix ("routing": {"simple": {"model": "...", "share": 0.7}, ...})');
  }
  if (model !== undefined) return [{ tier: 'all', model: r.modelId(model, 'model'), share: 1 }];
  const mix = r.object(routing, 'routing', '{"simple": {"model": "...", "share": 0.7}, "medium": {...}, "complex": {...}}');
  r.known(mix, 'routing', MODEL_TIERS);
  const shares: TrafficShare[] = [];
  for (const tier of MODEL_TIERS) {
    if (mix[tier] === undefined) continue;
    const entry = r.object(mix[tier], `routing.${tier}`, '{"model": "...", "share": 0.7}');
    r.known(entry, `routing.${tier}`, ['model', 'share']);
    shares.push({ tier, model: r.modelId(entry.model, `routing.${tier}.model`), share: r.fraction(entry.share, `routing.${tier}.share`) });
  }
  if (shares.length === 0) r.fail('routing', routing, `at least one of ${MODEL_TIERS.join(', ')}`);
  const total = toNumber(shares.reduce((s, x) => add(s, fromNumber(x.share)), ZERO));
  if (Math.abs(total - 1) > 1e-9) {
    r.failText('routing', `${shares.map((s) => `${s.tier} ${s.share}`).join(' + ')} = ${total}`, 'shares that sum to 1 (within 1e-9)');
  }
  return shares;
}

// The contract's tiers with the default first, as a workload names them ("standard", "flex", "priority").
const SERVICE_TIER_CHOICES: ReadonlyArray<ServiceTierName> = ['standard', ...SERVICE_TIERS.filter((t) => t !== 'standard')];

function readServiceTier(r: Reader, value: unknown): Workload['serviceTier'] {
  if (value === undefined) return { tier: 'standard' };
  if (typeof value === 'string') return { tier: r.oneOf(value, 'serviceTier', SERVICE_TIER_CHOICES) };
  const st = r.object(value, 'serviceTier', '"standard", "flex", "priority" or {"tier": "flex", "priceMultiplier": 0.5}');
  r.known(st, 'serviceTier', ['tier', 'priceMultiplier']);
  const tier = r.oneOf(st.tier, 'serviceTier.tier', SERVICE_TIER_CHOICES);
  if (st.priceMultiplier === undefined) return { tier };
  return { tier, priceMultiplier: r.number(st.priceMultiplier, 'serviceTier.priceMultiplier', 0.01, 10, 'the tier\'s price over the standard price, from 0.01 to 10 (e.g. 0.5)') };
}

function readPrices(r: Reader, value: unknown): Readonly<Record<string, Partial<ModelPrice>>> {
  if (value === undefined) return {};
  const prices = r.object(value, 'prices', '{"<base model id>": {"inputPerMillion": 3, "outputPerMillion": 15}}');
  const out: Record<string, Partial<ModelPrice>> = {};
  for (const [modelId, entry] of Object.entries(prices)) {
    const path = `prices[${JSON.stringify(modelId)}]`;
    const e = r.object(entry, path, '{"inputPerMillion": 3, "outputPerMillion": 15} (USD per 1M tokens)');
    r.known(e, path, PRICE_OVERRIDE_FIELDS);
    const { source: note, ...fields } = e;
    if (note !== undefined) r.optionalString(note, `${path}.source`);
    for (const [field, v] of Object.entries(fields)) {
      if ((PRICE_FIELDS as ReadonlyArray<string>).includes(field)) r.number(v, `${path}.${field}`, 0, 1e6, 'USD per 1M tokens, a number >= 0');
    }
    out[modelId] = fields as Partial<ModelPrice>;
  }
  return out;
}

function readSageMaker(r: Reader, value: unknown): SageMakerSettings {
  const s = r.object(value, 'sagemaker', '{"instanceType": "ml.g5.xlarge", "hourlyUsd": 1.41}');
  r.known(s, 'sagemaker', ['instanceType', 'hourlyUsd', 'instances', 'hoursPerMonth', 'perMillionTokensUsd', 'tokensPerSecond', 'requestsPerSecond']);
  if (s.tokensPerSecond !== undefined && s.requestsPerSecond !== undefined) r.fail('sagemaker.requestsPerSecond', s.requestsPerSecond, 'either tokensPerSecond or requestsPerSecond, not both');
  const instanceType = r.optionalString(s.instanceType, 'sagemaker.instanceType');
  const positive = (field: string, max: number) => (s[field] === undefined ? undefined : r.number(s[field], `sagemaker.${field}`, 0.001, max, `a number from 0.001 to ${max}`));
  return {
    ...(instanceType !== undefined ? { instanceType } : {}),
    hourlyUsd: r.number(s.hourlyUsd, 'sagemaker.hourlyUsd', 0, MAX_SAGEMAKER_HOURLY_USD, `USD per instance-hour, from 0 to ${MAX_SAGEMAKER_HOURLY_USD}`),
    instances: s.instances === undefined ? 1 : r.integer(s.instances, 'sagemaker.instances', 1, MAX_SAGEMAKER_INSTANCES),
    hoursPerMonth: s.hoursPerMonth === undefined ? DEFAULT_HOURS_PER_MONTH : r.number(s.hoursPerMonth, 'sagemaker.hoursPerMonth', 1, MAX_HOURS_PER_MONTH, `hours, from 1 to ${MAX_HOURS_PER_MONTH}`),
    perMillionTokensUsd: s.perMillionTokensUsd === undefined ? 0 : r.number(s.perMillionTokensUsd, 'sagemaker.perMillionTokensUsd', 0, 1e6, 'USD per 1M tokens, a number >= 0'),
    ...(s.tokensPerSecond !== undefined ? { tokensPerSecond: positive('tokensPerSecond', 1e9) } : {}),
    ...(s.requestsPerSecond !== undefined ? { requestsPerSecond: positive('requestsPerSecond', 1e7) } : {}),
  };
}

/** The largest monthly budget accepted, in USD: beyond it a figure is a typo. */
export const MAX_BUDGET_USD_PER_MONTH = 1e12;

function readBudget(r: Reader, value: unknown): NonNullable<Workload['budget']> {
  const b = r.object(value, 'budget', '{"usdPerMonth": 5000}');
  r.known(b, 'budget', ['usdPerMonth']);
  return { usdPerMonth: r.number(b.usdPerMonth, 'budget.usdPerMonth', 0.000001, MAX_BUDGET_USD_PER_MONTH, `USD a month, above 0 and at most ${MAX_BUDGET_USD_PER_MONTH.toExponential()}`) };
}

/** The near-limit policy, with the contract's defaults; checked against the workload as the constructs check it. */
function readNearLimit(r: Reader, value: unknown, budget: Workload['budget'], traffic: ReadonlyArray<TrafficShare>, responseCache: Workload['responseCache']): NearLimitConfig {
  const n = r.object(value, 'nearLimit', '{"action": "cheaperTier", "atShare": 0.8, "tier": "simple", "atLimit": "refuse"}');
  r.known(n, 'nearLimit', ['action', 'atShare', 'tier', 'atLimit']);
  if (budget === undefined) r.fail('budget', undefined, 'a budget for the near-limit policy to near: "budget": {"usdPerMonth": 5000}');
  const action = r.oneOf(n.action, 'nearLimit.action', NEAR_LIMIT_ACTIONS);
  const atShare = n.atShare === undefined ? DEFAULT_NEAR_LIMIT_SHARE : r.number(n.atShare, 'nearLimit.atShare', Number.MIN_VALUE, 1, 'a share of the budget above 0 and at most 1 (e.g. 0.8)');
  const atLimit = n.atLimit === undefined ? DEFAULT_AT_LIMIT : r.oneOf(n.atLimit, 'nearLimit.atLimit', AT_LIMIT_BEHAVIOURS);
  if (action !== 'cheaperTier') {
    if (n.tier !== undefined) r.fail('nearLimit.tier', n.tier, 'no tier: only the "cheaperTier" action routes to a tier');
    if (action === 'cacheOnly' && responseCache === undefined) {
      r.fail('responseCache', undefined, 'a response cache for "cacheOnly" to answer from: "responseCache": {"duplicateRate": 0.3} (without one, every request past the share is refused)');
    }
    return { action, atShare, atLimit };
  }
  const tier = n.tier === undefined ? DEFAULT_NEAR_LIMIT_TIER : r.oneOf(n.tier, 'nearLimit.tier', MODEL_TIERS);
  const routed = traffic.map((t) => t.tier).filter((t): t is ModelTier => t !== 'all');
  const highest = routed[routed.length - 1];
  if (highest === undefined || !routed.includes(tier) || MODEL_TIERS.indexOf(tier) >= MODEL_TIERS.indexOf(highest)) {
    const below = routed.slice(0, -1);
    r.fail('nearLimit.tier', n.tier ?? tier, routed.length < 2
      ? 'a routing mix of two tiers or more for "cheaperTier" to route down ("routing": {"simple": {...}, "complex": {...}}), or another action'
      : `a routed tier below the dearest one (${highest}): one of ${below.map((t) => JSON.stringify(t)).join(', ')}`);
  }
  return { action, atShare, tier, atLimit };
}

/** Defaults of the library's running-cost inputs. */
export const LIBRARY_DEFAULTS: Omit<LibrarySettings, 'models' | 'metricsPerCombination'> = Object.freeze({
  latencySeconds: 2,
  lambdaMemoryMb: 256,
  applications: 1,
  features: 1,
  dashboards: 1,
  alarms: 6,
  wafRules: 0,
  budgets: 1,
  actionBudgets: 0,
  ledgerWritesPerRequest: 2,
  logBytesPerRequest: 2048,
  curStorageGb: 5,
  athenaTbScannedPerMonth: 0.01,
});

function readLibrary(r: Reader, value: unknown): LibrarySettings {
  if (value === undefined) return { ...LIBRARY_DEFAULTS };
  const l = r.object(value, 'library', '{"latencySeconds": 2, "alarms": 6}');
  r.known(l, 'library', [...Object.keys(LIBRARY_DEFAULTS), 'models', 'metricsPerCombination']);
  const int = (field: keyof LibrarySettings, min: number, max: number) => (l[field] === undefined ? undefined : r.integer(l[field], `library.${field}`, min, max));
  const num = (field: keyof LibrarySettings, min: number, max: number, what: string) => (l[field] === undefined ? undefined : r.number(l[field], `library.${field}`, min, max, what));
  const d = LIBRARY_DEFAULTS;
  const models = int('models', 1, 1000);
  const metricsPerCombination = int('metricsPerCombination', 0, 1000);
  return {
    latencySeconds: num('latencySeconds', 0, 900, 'seconds, from 0 to 900 (the Lambda timeout limit)') ?? d.latencySeconds,
    lambdaMemoryMb: int('lambdaMemoryMb', 128, 10240) ?? d.lambdaMemoryMb,
    applications: int('applications', 1, 10_000) ?? d.applications,
    features: int('features', 1, 10_000) ?? d.features,
    ...(models !== undefined ? { models } : {}),
    ...(metricsPerCombination !== undefined ? { metricsPerCombination } : {}),
    dashboards: int('dashboards', 0, 10_000) ?? d.dashboards,
    alarms: int('alarms', 0, 1_000_000) ?? d.alarms,
    wafRules: int('wafRules', 0, 1_500) ?? d.wafRules,
    budgets: int('budgets', 0, 20_000) ?? d.budgets,
    actionBudgets: int('actionBudgets', 0, 20_000) ?? d.actionBudgets,
    ledgerWritesPerRequest: int('ledgerWritesPerRequest', 0, 100) ?? d.ledgerWritesPerRequest,
    logBytesPerRequest: int('logBytesPerRequest', 0, 10_000_000) ?? d.logBytesPerRequest,
    curStorageGb: num('curStorageGb', 0, 1e9, 'GB, a number >= 0') ?? d.curStorageGb,
    athenaTbScannedPerMonth: num('athenaTbScannedPerMonth', 0, 1e6, 'TB, a number >= 0') ?? d.athenaTbScannedPerMonth,
  };
}

/** Reads values at JSON paths and fails with the path, the value and the fix. */
class Reader {
  constructor(private readonly source: string) {}

  fail(path: string, value: unknown, expected: string): never {
    this.failText(path, show(value), expected);
  }

  failText(path: string, got: string, expected: string): never {
    throw new WorkloadError(`${this.source}: ${path === '' ? '' : `${path}: `}expected ${expected}, got ${got}`, path);
  }

  object(value: unknown, path: string, example: string): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, value, `an object, e.g. ${example}`);
    return value as Json;
  }

  known(obj: Json, path: string, fields: ReadonlyArray<string>): void {
    for (const key of Object.keys(obj)) {
      if (!fields.includes(key)) {
        const at = path === '' ? key : `${path}.${key}`;
        throw new WorkloadError(`${this.source}: ${at}: unknown field; the fields here are ${fields.filter((f) => f !== '$schema').join(', ')}`, at);
      }
    }
  }

  number(value: unknown, path: string, min: number, max: number, what: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) this.fail(path, value, what);
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(path, value, `a whole number from ${min} to ${max}`);
    }
    return value;
  }

  fraction(value: unknown, path: string): number {
    return this.number(value, path, 0, 1, 'a fraction from 0 to 1 (e.g. 0.3 for 30 %)');
  }

  oneOf<T extends string>(value: unknown, path: string, options: ReadonlyArray<T>): T {
    if (typeof value !== 'string' || !options.includes(value as T)) this.fail(path, value, `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
    return value as T;
  }

  optionalString(value: unknown, path: string): string | undefined {
    if (value !== undefined && typeof value !== 'string') this.fail(path, value, 'a string');
    return value as string | undefined;
  }

  modelId(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(path, value, 'a base model id, e.g. "anthropic.claude-3-haiku-20240307-v1:0"');
    return value;
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `an array ${truncate(JSON.stringify(value))}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object ${truncate(JSON.stringify(value))}`;
  return `${typeof value} ${String(value)}`;
}

const truncate = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value as object)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
