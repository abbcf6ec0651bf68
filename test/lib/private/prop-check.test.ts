import { App, Duration, Stack, Token } from 'aws-cdk-lib';
import { checkProps, closest, describe as describeValue, editDistance, oneOf, PropKinds } from '../../../lib/private/prop-check';

enum Color { RED = 'red', DARK_BLUE = 'dark-blue' }

interface InnerProps { readonly size?: number }
interface SampleProps {
  readonly maxTokens?: number;
  readonly maxInputTokens?: number;
  readonly name?: string;
  readonly enabled?: boolean;
  readonly origins?: string[];
  readonly tiers?: { [tenant: string]: string };
  readonly color?: Color;
  readonly timeout?: Duration;
  readonly inner?: InnerProps;
  readonly items?: InnerProps[];
}

const KINDS = {
  maxTokens: 'number',
  maxInputTokens: 'number',
  name: 'string',
  enabled: 'boolean',
  origins: 'string[]',
  tiers: 'string-map',
  color: oneOf(Color, 'Color'),
  timeout: 'object',
  inner: { fields: { size: 'number' } satisfies PropKinds<InnerProps> },
  items: { items: { fields: { size: 'number' } } },
} as const satisfies PropKinds<SampleProps>;

function check(props: unknown): void {
  const stack = new Stack(new App(), 'Stack');
  const scope = new Stack(stack, 'Nested');
  checkProps(scope, 'SampleProps', props, KINDS);
}

describe('editDistance', () => {
  test.each<[string, string, number]>([
    ['', '', 0],
    ['abc', '', 3],
    ['maxToken', 'maxTokens', 1],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
  ])('%j to %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closest', () => {
  const known = ['maxTokens', 'maxInputTokens', 'costCenter', 'complexTier', 'simple'];

  test.each<[string, string]>([
    ['maxToken', 'maxTokens'],
    ['costcenter', 'costCenter'],
    ['COSTCENTER', 'costCenter'],
    ['complex', 'complexTier'],
    ['maxInputToken', 'maxInputTokens'],
    ['simpel', 'simple'],
  ])('takes %j for %j', (given, meant) => {
    expect(closest(given, known)).toBe(meant);
  });

  test('suggests nothing for a name unlike every known one', () => {
    expect(closest('whatever', known)).toBeUndefined();
    expect(closest('x', known)).toBeUndefined();
  });
});

describe('describe', () => {
  test.each<[unknown, string]>([
    ['500', 'the string "500"'],
    [500, 'the number 500'],
    [true, 'true'],
    [null, 'null'],
    [[1, 2], 'a list of 2'],
    [{ a: 1 }, 'an object'],
    [Duration.minutes(1), 'a Duration'],
  ])('shows %p as %j', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});

describe('checkProps', () => {
  test('accepts props of the declared kinds, and undefined props', () => {
    expect(() => check(undefined)).not.toThrow();
    expect(() => check({
      maxTokens: 5, name: 'n', enabled: false, origins: ['a'], tiers: { t: 'gold' }, color: Color.DARK_BLUE,
      timeout: Duration.seconds(3), inner: { size: 1 }, items: [{ size: 2 }, {}], maxInputTokens: undefined,
    })).not.toThrow();
  });

  test('skips unresolved tokens of any kind', () => {
    expect(() => check({ maxTokens: Token.asNumber({ resolve: () => 1 }), name: Token.asString({ resolve: () => 'x' }), origins: Token.asList({ resolve: () => ['a'] }) })).not.toThrow();
  });

  test('fails on an unknown key with the nearest known one, naming the construct path', () => {
    expect(() => check({ maxToken: 5 })).toThrow(
      "Stack/Nested: maxToken is not a property of SampleProps, so it would be ignored. Did you mean 'maxTokens'? Fix: rename it to maxTokens.");
  });

  test('lists the known keys when no known key is near', () => {
    expect(() => check({ zzz: 1 })).toThrow(/zzz is not a property of SampleProps.*Fix: remove it, or use one of: maxTokens, maxInputTokens, name,/);
  });

  test('follows nested objects and lists of objects', () => {
    expect(() => check({ inner: { sise: 1 } })).toThrow(/Stack\/Nested: inner\.sise is not a property of 'inner'.*Did you mean 'inner\.size'\?/);
    expect(() => check({ items: [{ size: 1 }, { size: '2' }] })).toThrow(/items\[1\]\.size must be a number; got the string "2"\. Fix: pass 2 without quotes\./);
    expect(() => check({ items: [{ sizes: 1 }] })).toThrow(/items\[0\]\.sizes is not a property of 'items\[0\]'.*Did you mean 'items\[0\]\.size'/);
  });

  test.each<[string, unknown, RegExp]>([
    ['a numeric string for a number', { maxTokens: '500' }, /maxTokens must be a number; got the string "500"\. Fix: pass 500 without quotes\./],
    ['a word for a number', { maxTokens: 'lots' }, /maxTokens must be a number; got the string "lots"\. Fix: pass a number/],
    ['a number for a string', { name: 5 }, /name must be a string; got the number 5\./],
    ['"true" for a boolean', { enabled: 'true' }, /enabled must be true or false; got the string "true"\. Fix: pass true without quotes\./],
    ['a string for a list', { origins: 'https://a.example' }, /origins must be a list of strings; got the string "https:\/\/a\.example"\. Fix: pass a list, e.g\. \["https:\/\/a\.example"\]/],
    ['a number in a list of strings', { origins: ['a', 2] }, /origins\[1\] must be a string; got the number 2/],
    ['a number in a string map', { tiers: { acme: 3 } }, /tiers\.acme must be a string; got the number 3/],
    ['an enum value misspelt', { color: 'dark_blue' }, /color must be one of 'red', 'dark-blue'; got the string "dark_blue"\. Fix: use Color\.DARK_BLUE \('dark-blue'\)\./],
    ['a primitive for an object', { timeout: 30 }, /timeout must be an object; got the number 30/],
    ['a list for a nested object', { inner: [] }, /inner must be an object of properties; got a list of 0/],
    ['an object for a list', { items: { size: 1 } }, /items must be a list; got an object/],
    ['props that are not an object', 'props', /the SampleProps must be an object of properties; got the string "props"/],
  ])('fails on %s, showing what was given', (_case, props, message) => {
    expect(() => check(props)).toThrow(message);
  });
});
