/**
 * Exact per-request cost from the usage fields Bedrock returns.
 *
 * Why integers: a bill is a sum of millions of tiny amounts, and binary floating point cannot represent most of them
 * (0.1 + 0.2 !== 0.3). Every amount here is computed as a BigInt count of attodollars (1e-18 USD): a price in USD per
 * 1M tokens with up to 6 decimals is a whole number of micro-dollars per million, tokens x micro-dollars per million
 * is a whole number of picodollars, and a batch discount with up to 6 decimals keeps it whole in attodollars. Sums
 * are therefore exact; a USD `number` is produced only at the end, correctly rounded from the exact decimal.
 */
import { serviceTierPrice, type ModelPrice } from './model-catalog';
import type { ServiceTierName } from '../contract/pipeline-config';

/**
 * Token counts as Bedrock reports them (Converse `usage`, InvokeModel headers/body, model invocation logs).
 *
 * `inputTokens` excludes tokens read from or written to the prompt cache; the total input sent is
 * `inputTokens + cacheReadInputTokens + cacheWriteInputTokens`.
 */
export interface BedrockUsage {
  /** Input tokens not read from or written to the prompt cache. */
  readonly inputTokens?: number;
  /** Output tokens generated. */
  readonly outputTokens?: number;
  /** Input tokens read from the prompt cache. */
  readonly cacheReadInputTokens?: number;
  /** Input tokens written to the prompt cache, all TTLs together. */
  readonly cacheWriteInputTokens?: number;
  /** Cache writes split by TTL (`'5m'` or `'1h'`). Writes not covered here count as 5-minute writes. */
  readonly cacheDetails?: ReadonlyArray<{ readonly ttl?: string; readonly inputTokens?: number }>;
}

/** What one request (or a sum of requests) cost, in USD, split by what was billed. */
export interface CostBreakdown {
  /** Uncached input tokens. */
  readonly inputUsd: number;
  /** Output tokens. */
  readonly outputUsd: number;
  /** Tokens read from the prompt cache. */
  readonly cacheReadUsd: number;
  /** Tokens written to the prompt cache with the 5-minute TTL (the default). */
  readonly cacheWrite5mUsd: number;
  /** Tokens written to the prompt cache with the 1-hour TTL. */
  readonly cacheWrite1hUsd: number;
  /** Exactly the sum of the five parts above (computed in integers, then rounded once). */
  readonly totalUsd: number;
  /** True when the batch discount was applied (to at least one of the summed costs, after {@link addCosts}). */
  readonly batch: boolean;
}

/** The same breakdown in exact integer attodollars (1e-18 USD), for ledgers that must sum without drift. */
export interface ExactCostBreakdown {
  readonly inputAtto: bigint;
  readonly outputAtto: bigint;
  readonly cacheReadAtto: bigint;
  readonly cacheWrite5mAtto: bigint;
  readonly cacheWrite1hAtto: bigint;
  readonly totalAtto: bigint;
  readonly batch: boolean;
}

/** Options of {@link priceUsage}. */
export interface PriceUsageOptions {
  /**
   * The request ran as batch inference: apply the model's batch discount to every bucket. A model without a
   * batch discount is priced on-demand (and `batch` in the result stays false).
   * @default false
   */
  readonly batch?: boolean;
  /**
   * The service tier the call was served in (the tier Bedrock's response reports): every bucket is priced from the
   * model's prices for that tier ({@link ModelPrice.serviceTiers}). Ignored for batch inference, which has its own
   * discount.
   * @default 'standard'
   */
  readonly serviceTier?: ServiceTierName;
}

/** Attodollars per US dollar. */
export const ATTO_PER_USD = 10n ** 18n;

const PPM = 1_000_000n;

/** No cost: the identity of {@link addCosts}. */
export const ZERO_COST: CostBreakdown = Object.freeze({
  inputUsd: 0,
  outputUsd: 0,
  cacheReadUsd: 0,
  cacheWrite5mUsd: 0,
  cacheWrite1hUsd: 0,
  totalUsd: 0,
  batch: false,
});

/**
 * Prices one request's usage.
 *
 * Each bucket is priced apart: uncached input, output, cache reads, 5-minute and 1-hour cache writes. A model without
 * cache prices is charged the input price for cache reads and writes (never free); 1-hour writes without a 1-hour
 * price are charged the 5-minute price. A `cacheDetails` entry with an unknown TTL is charged the dearest write price
 * so that a new TTL is over- rather than under-reported. If `cacheDetails` adds up to more than
 * `cacheWriteInputTokens`, the details win (again, never under-report).
 *
 * @throws TypeError when a token count is negative, fractional, non-finite or not a number; the message names the field.
 * @throws RangeError when a price field is invalid, or the model has no price for the service tier (the tier is not
 * offered for it).
 */
export function priceUsage(usage: BedrockUsage, price: ModelPrice, options: PriceUsageOptions = {}): CostBreakdown {
  return exactToCostBreakdown(priceUsageExact(usage, price, options));
}

/** {@link priceUsage} in exact integer attodollars. */
export function priceUsageExact(usage: BedrockUsage, standardPrice: ModelPrice, options: PriceUsageOptions = {}): ExactCostBreakdown {
  const price = options.batch ? standardPrice : serviceTierPrice(standardPrice, options.serviceTier);
  if (price === undefined) {
    throw new RangeError(`price of ${standardPrice.name} has no ${String(options.serviceTier)} tier price: Bedrock does not serve it in that tier (or the catalog lacks the tier's price)`);
  }
  if (usage === null || typeof usage !== 'object') {
    throw new TypeError(`usage must be an object, got ${usage === null ? 'null' : typeof usage}`);
  }
  const inputTokens = tokenCount(usage.inputTokens, 'usage.inputTokens');
  const outputTokens = tokenCount(usage.outputTokens, 'usage.outputTokens');
  const cacheReadTokens = tokenCount(usage.cacheReadInputTokens, 'usage.cacheReadInputTokens');
  const cacheWriteTokens = tokenCount(usage.cacheWriteInputTokens, 'usage.cacheWriteInputTokens');

  let details5m = 0n;
  let details1h = 0n;
  let detailsOther = 0n;
  const details = usage.cacheDetails;
  if (details !== undefined && details !== null) {
    if (!Array.isArray(details)) {
      throw new TypeError(`usage.cacheDetails must be an array, got ${typeof details}`);
    }
    details.forEach((detail, i) => {
      const field = `usage.cacheDetails[${i}]`;
      if (detail === null || typeof detail !== 'object') {
        throw new TypeError(`${field} must be an object, got ${detail === null ? 'null' : typeof detail}`);
      }
      const tokens = tokenCount(detail.inputTokens, `${field}.inputTokens`);
      const ttl = detail.ttl;
      if (ttl !== undefined && ttl !== null && typeof ttl !== 'string') {
        throw new TypeError(`${field}.ttl must be a string, got ${typeof ttl}`);
      }
      if (ttl === undefined || ttl === null || ttl === '5m') {
        details5m += tokens; // Bedrock's default TTL
      } else if (ttl === '1h') {
        details1h += tokens;
      } else {
        detailsOther += tokens;
      }
    });
  }
  const detailed = details5m + details1h + detailsOther;
  const uncovered = cacheWriteTokens > detailed ? cacheWriteTokens - detailed : 0n;

  const input = perMillion(price.inputPerMillion, 'price.inputPerMillion');
  const output = perMillion(price.outputPerMillion, 'price.outputPerMillion');
  const cacheRead = optionalPerMillion(price.cacheReadPerMillion, 'price.cacheReadPerMillion') ?? input;
  const write5m = optionalPerMillion(price.cacheWrite5mPerMillion, 'price.cacheWrite5mPerMillion') ?? input;
  const write1h = optionalPerMillion(price.cacheWrite1hPerMillion, 'price.cacheWrite1hPerMillion') ?? write5m;
  const writeUnknownTtl = write1h > write5m ? write1h : write5m;

  const discountPpm = options.batch ? batchDiscountPpm(price.batchDiscount) : 0n;
  const factor = PPM - discountPpm; // tokens x micro$/1M x factor(ppm) = attodollars

  const inputAtto = inputTokens * input * factor;
  const outputAtto = outputTokens * output * factor;
  const cacheReadAtto = cacheReadTokens * cacheRead * factor;
  const cacheWrite5mAtto = (details5m + uncovered) * write5m * factor;
  const cacheWrite1hAtto = (details1h * write1h + detailsOther * writeUnknownTtl) * factor;
  return exactCost(inputAtto, outputAtto, cacheReadAtto, cacheWrite5mAtto, cacheWrite1hAtto, discountPpm > 0n);
}

/**
 * Adds two costs exactly: each USD amount is read back as the decimal it stands for (its shortest round-trip
 * representation), summed in integers and rounded once, so `0.1 + 0.2` gives `0.3`. The total is recomputed as the
 * sum of the parts.
 */
export function addCosts(a: CostBreakdown, b: CostBreakdown): CostBreakdown {
  return exactToCostBreakdown(addExactCosts(costBreakdownToExact(a), costBreakdownToExact(b)));
}

/** Adds two exact costs. */
export function addExactCosts(a: ExactCostBreakdown, b: ExactCostBreakdown): ExactCostBreakdown {
  return exactCost(
    a.inputAtto + b.inputAtto,
    a.outputAtto + b.outputAtto,
    a.cacheReadAtto + b.cacheReadAtto,
    a.cacheWrite5mAtto + b.cacheWrite5mAtto,
    a.cacheWrite1hAtto + b.cacheWrite1hAtto,
    a.batch || b.batch,
  );
}

/** Converts an exact cost to USD numbers, each correctly rounded from its exact decimal value. */
export function exactToCostBreakdown(exact: ExactCostBreakdown): CostBreakdown {
  return Object.freeze({
    inputUsd: attoToUsd(exact.inputAtto),
    outputUsd: attoToUsd(exact.outputAtto),
    cacheReadUsd: attoToUsd(exact.cacheReadAtto),
    cacheWrite5mUsd: attoToUsd(exact.cacheWrite5mAtto),
    cacheWrite1hUsd: attoToUsd(exact.cacheWrite1hAtto),
    totalUsd: attoToUsd(exact.totalAtto),
    batch: exact.batch,
  });
}

/** Reads a USD breakdown back into exact attodollars; the total is recomputed from the parts. */
export function costBreakdownToExact(cost: CostBreakdown): ExactCostBreakdown {
  return exactCost(
    usdToAtto(cost.inputUsd),
    usdToAtto(cost.outputUsd),
    usdToAtto(cost.cacheReadUsd),
    usdToAtto(cost.cacheWrite5mUsd),
    usdToAtto(cost.cacheWrite1hUsd),
    cost.batch === true,
  );
}

/** The one place an exact cost is assembled, so its total is always the sum of its five parts. */
function exactCost(
  inputAtto: bigint,
  outputAtto: bigint,
  cacheReadAtto: bigint,
  cacheWrite5mAtto: bigint,
  cacheWrite1hAtto: bigint,
  batch: boolean,
): ExactCostBreakdown {
  return Object.freeze({
    inputAtto,
    outputAtto,
    cacheReadAtto,
    cacheWrite5mAtto,
    cacheWrite1hAtto,
    totalAtto: inputAtto + outputAtto + cacheReadAtto + cacheWrite5mAtto + cacheWrite1hAtto,
    batch,
  });
}

/** 10n ** n for n in 0..40: BigInt exponentiation is slow enough to show up when summing millions of costs. */
const POW10: ReadonlyArray<bigint> = Array.from({ length: 41 }, (_, n) => 10n ** BigInt(n));

function pow10(n: number): bigint {
  return n < POW10.length ? POW10[n] : 10n ** BigInt(n);
}

/**
 * Attodollars to a USD number: formats the exact decimal and lets the number parser round it once (a division
 * `Number(atto) / 1e18` would round twice).
 */
export function attoToUsd(atto: bigint): number {
  if (atto === 0n) {
    return 0;
  }
  const negative = atto < 0n;
  const magnitude = negative ? -atto : atto;
  const whole = magnitude / ATTO_PER_USD;
  const remainder = magnitude - whole * ATTO_PER_USD;
  if (remainder === 0n) {
    return negative ? -Number(whole) : Number(whole);
  }
  const fraction = remainder.toString().padStart(18, '0');
  let end = fraction.length;
  while (fraction.charCodeAt(end - 1) === 48) end--; // trailing zeros
  return Number(`${negative ? '-' : ''}${whole.toString()}.${fraction.slice(0, end)}`);
}

/**
 * A USD number to attodollars, reading the number as the decimal it prints as (`0.1` is 0.1, not
 * 0.1000000000000000055...). Digits beyond 18 decimal places are rounded half away from zero.
 *
 * @throws TypeError when the amount is not a finite number.
 */
export function usdToAtto(usd: number): bigint {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) {
    throw new TypeError(`USD amount must be a finite number, got ${String(usd)}`);
  }
  if (usd === 0) {
    return 0n;
  }
  const { negative, digits, exponent } = decimalOf(usd);
  const shift = exponent + 18;
  let atto: bigint;
  if (shift >= 0) {
    atto = digits * pow10(shift);
  } else {
    const divisor = pow10(-shift);
    atto = (digits + divisor / 2n) / divisor;
  }
  return negative ? -atto : atto;
}

/**
 * A finite number as the decimal it prints as, exactly: `|x| = digits × 10^exponent`. Number.prototype.toString
 * prints the shortest decimal that reads back as the same number: `[-]digits[.digits][e(+|-)digits]`.
 */
export function decimalOf(x: number): { readonly negative: boolean; readonly digits: bigint; readonly exponent: number } {
  let text = String(x);
  const negative = text.charCodeAt(0) === 45;
  if (negative) text = text.slice(1);
  let exponent = 0;
  const e = text.indexOf('e');
  if (e >= 0) {
    exponent = Number(text.slice(e + 1));
    text = text.slice(0, e);
  }
  const dot = text.indexOf('.');
  const decimals = dot >= 0 ? text.length - dot - 1 : 0;
  const digits = BigInt(dot >= 0 ? text.slice(0, dot) + text.slice(dot + 1) : text);
  return { negative, digits, exponent: exponent - decimals };
}

function tokenCount(value: unknown, field: string): bigint {
  if (value === undefined || value === null) {
    return 0n;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isInteger(value) || value < 0 || !Number.isSafeInteger(value)) {
    throw new TypeError(`${field} must be a non-negative integer token count, got ${describe(value)}`);
  }
  return BigInt(value);
}

/** USD per 1M tokens to whole micro-dollars per 1M tokens. */
function perMillion(value: unknown, field: string): bigint {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${field} must be a finite number >= 0 (USD per 1M tokens), got ${describe(value)}`);
  }
  // Prices are published with at most 6 decimals per 1M tokens; rounding absorbs binary noise such as 0.035 * 1e6.
  return BigInt(Math.round(value * 1e6));
}

function optionalPerMillion(value: unknown, field: string): bigint | undefined {
  return value === undefined ? undefined : perMillion(value, field);
}

function batchDiscountPpm(discount: number | undefined): bigint {
  if (discount === undefined) {
    return 0n;
  }
  if (typeof discount !== 'number' || !Number.isFinite(discount) || discount < 0 || discount >= 1) {
    throw new RangeError(`price.batchDiscount must be a fraction in [0, 1), got ${describe(discount)}`);
  }
  return BigInt(Math.round(discount * 1e6));
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
