/**
 * Exact fractions for the estimator. A workload mixes integer attodollar costs (from {@link priceUsageExact}) with
 * shares and rates given as decimals (a 0.7 routing share, a 0.3 duplicate rate, 10,000 requests a day over 30.4
 * days). Reading each decimal as the fraction it prints as (0.7 is 7/10, not 0.6999999999999999555910790149937) and
 * multiplying BigInt fractions keeps every figure exact until it is rounded once, to the attodollar, at the end: the
 * article's 70/25/5 routing gives $1,675 and not $1,674.9999999999998.
 */
import { attoToUsd, decimalOf } from '../shared/core/pricing';

/** A fraction `n / d` with `d > 0`, always reduced. */
export interface Ratio {
  readonly n: bigint;
  readonly d: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

/** `n / d`, reduced. */
export function ratio(n: bigint, d = 1n): Ratio {
  if (d === 0n) throw new RangeError('ratio: division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

export const ZERO: Ratio = Object.freeze({ n: 0n, d: 1n });
export const ONE: Ratio = Object.freeze({ n: 1n, d: 1n });

/** A finite number as the decimal it prints as (`String(x)`), exactly. */
export function fromNumber(x: number): Ratio {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${String(x)}`);
  if (Number.isSafeInteger(x)) return { n: BigInt(x), d: 1n };
  const { negative, digits, exponent: shift } = decimalOf(x);
  const signed = negative ? -digits : digits;
  return shift >= 0 ? ratio(signed * 10n ** BigInt(shift)) : ratio(signed, 10n ** BigInt(-shift));
}

export const add = (a: Ratio, b: Ratio): Ratio => (a.d === b.d ? ratio(a.n + b.n, a.d) : ratio(a.n * b.d + b.n * a.d, a.d * b.d));
export const sub = (a: Ratio, b: Ratio): Ratio => add(a, { n: -b.n, d: b.d });
export const mul = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.n, a.d * b.d);
export const div = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d, a.d * b.n);
export const cmp = (a: Ratio, b: Ratio): number => {
  const x = a.n * b.d;
  const y = b.n * a.d;
  return x < y ? -1 : x > y ? 1 : 0;
};
export const max = (a: Ratio, b: Ratio): Ratio => (cmp(a, b) >= 0 ? a : b);
export const sum = (values: ReadonlyArray<Ratio>): Ratio => values.reduce(add, ZERO);
export const isZero = (a: Ratio): boolean => a.n === 0n;

/** Rounds half away from zero to an integer. */
export function roundToInteger(a: Ratio): bigint {
  const magnitude = a.n < 0n ? -a.n : a.n;
  const rounded = (2n * magnitude + a.d) / (2n * a.d);
  return a.n < 0n ? -rounded : rounded;
}

/** An amount of attodollars (possibly fractional) to USD, rounded once to the attodollar. */
export const attoRatioToUsd = (atto: Ratio): number => attoToUsd(roundToInteger(atto));

/** A ratio as a number (for shares, percentages and counts that are shown, never for money), rounded once. */
export function toNumber(a: Ratio): number {
  const negative = a.n < 0n;
  const magnitude = negative ? -a.n : a.n;
  const whole = magnitude / a.d;
  const fraction = (((magnitude % a.d) * 10n ** 20n) / a.d).toString().padStart(20, '0');
  return Number(`${negative ? '-' : ''}${whole}.${fraction}`);
}
