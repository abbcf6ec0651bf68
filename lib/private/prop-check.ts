import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/*
 * Props as a JavaScript user (plain JS, tsx without a type check) passes them: a misspelt key (`maxToken`,
 * `costcenter`, an old `routing.complex`) is silently ignored and a string where a number belongs ("500") fails
 * later with a confusing message, or not at all. Every public construct checks its props against a declared list of
 * its known keys and what each holds, kept in sync with the TypeScript interface by `satisfies PropKinds<XProps>`
 * (a key missing from the list, or one the interface lacks, fails compilation).
 */

/** A value of a string enum: one of its values. */
export interface OneOf { readonly oneOf: readonly string[]; readonly enumName: string; readonly memberNames: readonly string[] }
/** A nested object of known keys (`routing`, `tags`). */
export interface Fields { readonly fields: Readonly<Record<string, PropKind>> }
/** A list whose items are each of one kind (`usageLimits`). */
export interface ListOf { readonly items: PropKind }

/**
 * What a prop holds. 'object' is any non-primitive (a construct, a Duration, an enum-like class instance): its own
 * class checks it. 'string-map' is a `{ [key: string]: string }`.
 */
export type PropKind = 'number' | 'string' | 'boolean' | 'string[]' | 'string-map' | 'object' | OneOf | Fields | ListOf;

/** The known keys of a props interface and what each holds; `satisfies PropKinds<XProps>` keeps it complete. */
export type PropKinds<T> = { readonly [K in keyof Required<T>]: PropKind };

/** A string enum's values, for `{ oneOf }`; `enumName` names it in the fix (TypeScript enums do not carry their name). */
export function oneOf(values: Record<string, string>, enumName: string): OneOf {
  return { oneOf: Object.values(values), enumName, memberNames: Object.keys(values) };
}

/**
 * Throws, naming the construct path, the prop, the value given and the fix, when `props` has a key its interface
 * does not declare or a value of the wrong type. Values that are unresolved tokens are not judged.
 */
export function checkProps(scope: IConstruct, propsName: string, props: unknown, kinds: Readonly<Record<string, PropKind>>): void {
  if (props === undefined) return;
  checkValue(`${scope.node.path || 'the app'}: `, propsName, '', props, { fields: kinds });
}

function checkValue(where: string, propsName: string, name: string, value: unknown, kind: PropKind): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const label = name === '' ? `the ${propsName}` : name;
  const fail = (expected: string, fix: string): never => {
    throw new Error(`${where}${label} must be ${expected}; got ${describe(value)}. Fix: ${fix}.`);
  };
  if (kind === 'number') {
    if (typeof value !== 'number') fail('a number', numericFix(value));
  } else if (kind === 'string') {
    if (typeof value !== 'string') fail('a string', "pass the text in quotes, e.g. 'customer-support'");
  } else if (kind === 'boolean') {
    if (typeof value !== 'boolean') fail('true or false', typeof value === 'string' && /^(true|false)$/i.test(value) ? `pass ${value.toLowerCase()} without quotes` : 'pass true or false');
  } else if (kind === 'string[]') {
    if (!Array.isArray(value)) fail('a list of strings', `pass a list, e.g. [${typeof value === 'string' ? JSON.stringify(value) : "'a', 'b'"}]`);
    (value as unknown[]).forEach((item, i) => checkValue(where, propsName, `${label}[${i}]`, item, 'string'));
  } else if (kind === 'string-map') {
    if (!isPlainObject(value)) fail('an object of string values', "pass e.g. { 'tenant-a': 'enterprise' }");
    for (const [key, item] of Object.entries(value as object)) checkValue(where, propsName, `${label}.${key}`, item, 'string');
  } else if (kind === 'object') {
    if (value === null || typeof value !== 'object') fail('an object', `pass the object the ${label} documentation names (a construct, a Duration or a factory's result)`);
  } else if ('oneOf' in kind) {
    if (typeof value !== 'string' || !kind.oneOf.includes(value)) {
      const close = typeof value === 'string' ? closest(value, kind.oneOf) : undefined;
      const member = (v: string) => `${kind.enumName}.${kind.memberNames[kind.oneOf.indexOf(v)]}`;
      fail(`one of ${kind.oneOf.map((v) => `'${v}'`).join(', ')}`, close ? `use ${member(close)} ('${close}')` : `use one of ${kind.oneOf.map(member).join(', ')}`);
    }
  } else if ('items' in kind) {
    if (!Array.isArray(value)) fail('a list', 'wrap it in a list: [ ... ]');
    (value as unknown[]).forEach((item, i) => checkValue(where, propsName, `${label}[${i}]`, item, kind.items));
  } else {
    if (!isPlainObject(value)) fail('an object of properties', `pass { ${Object.keys(kind.fields).slice(0, 3).join(', ')}, ... }`);
    const prefix = name === '' ? '' : `${name}.`;
    for (const [key, item] of Object.entries(value as object)) {
      const itemKind = kind.fields[key];
      if (itemKind === undefined) throw new Error(unknownKeyMessage(where, propsName, prefix, key, Object.keys(kind.fields)));
      checkValue(where, propsName, `${prefix}${key}`, item, itemKind);
    }
  }
}

function unknownKeyMessage(where: string, propsName: string, prefix: string, key: string, known: readonly string[]): string {
  const owner = prefix === '' ? propsName : `'${prefix.slice(0, -1)}'`;
  const suggestion = closest(key, known);
  const head = `${where}${prefix}${key} is not a property of ${owner}, so it would be ignored.`;
  return suggestion
    ? `${head} Did you mean '${prefix}${suggestion}'? Fix: rename it to ${suggestion}.`
    : `${head} Fix: remove it, or use one of: ${known.join(', ')}.`;
}

/**
 * The known name a typo most likely meant: same letters in another case, one that starts with the other (`complex`
 * for `complexTier`), or the nearest by edit distance within a third of its length (at least 2).
 */
export function closest(given: string, known: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const candidate = name.toLowerCase();
    const distance = candidate === lower ? 0
      : (lower.length >= 4 && (candidate.startsWith(lower) || lower.startsWith(candidate))) ? 1
        : editDistance(lower, candidate);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(given.length / 3)) ? best.name : undefined;
}

/**
 * Levenshtein distance. Written here rather than taken from a package: twenty lines run only on a synth error, and a
 * runtime dependency of a construct library reaches every user's install (and every jsii binding's).
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The value as the message shows it: its type and, for a primitive, itself. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  switch (typeof value) {
    case 'string': return `the string ${JSON.stringify(value)}`;
    case 'number': return `the number ${value}`;
    case 'boolean': return `${value}`;
    case 'object': {
      const name = Object.getPrototypeOf(value)?.constructor?.name;
      return name && name !== 'Object' ? `a ${name}` : 'an object';
    }
    default: return `a ${typeof value}`;
  }
}

function numericFix(value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return `pass ${Number(value)} without quotes`;
  return 'pass a number, e.g. 500';
}

function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
