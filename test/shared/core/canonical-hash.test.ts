import { canonicalJson, sha256Hex } from '../../../shared/core';

const request = {
  modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
  system: [{ text: 'You are a helpful support assistant.' }],
  messages: [{ role: 'user', content: [{ text: 'Where is my order?' }] }],
  inferenceConfig: { maxTokens: 512, temperature: 0.2 },
};

describe('canonicalJson', () => {
  it('sorts object keys at every depth, so key order does not matter', () => {
    const reordered = {
      inferenceConfig: { temperature: 0.2, maxTokens: 512 },
      messages: [{ content: [{ text: 'Where is my order?' }], role: 'user' }],
      system: [{ text: 'You are a helpful support assistant.' }],
      modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    };
    expect(canonicalJson(reordered)).toBe(canonicalJson(request));
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('drops object properties whose value is undefined', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ ...request, guardrailConfig: undefined })).toBe(canonicalJson(request));
  });

  it('keeps arrays in order, writing undefined elements as null so positions keep their meaning', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson([1, undefined, 3])).toBe('[1,null,3]');
  });

  it('writes strings and numbers as JSON does', () => {
    expect(canonicalJson({ s: 'line\n"quoted" é 😀', n: 1e21, f: 0.1, z: -0, t: true, x: null })).toBe(
      '{"f":0.1,"n":1e+21,"s":"line\\n\\"quoted\\" é 😀","t":true,"x":null,"z":0}',
    );
  });

  it('sorts keys by UTF-16 code units, like RFC 8785', () => {
    expect(canonicalJson({ b: 0, B: 0, a: 0, é: 0, 10: 0, 9: 0 })).toBe('{"10":0,"9":0,"B":0,"a":0,"b":0,"é":0}');
  });

  it('serializes dates through toJSON', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)) })).toBe('{"at":"2025-01-02T03:04:05.000Z"}');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(canonicalJson({ x: shared, y: [shared] })).toBe('{"x":{"a":1},"y":[{"a":1}]}');
  });

  describe('fails instead of silently losing data', () => {
    it.each<[string, unknown, RegExp]>([
      ['a function', { callback: () => 1 }, /cannot serialize a function at \$\.callback/],
      ['a symbol', [Symbol('s')], /cannot serialize a symbol at \$\[0\]/],
      ['a bigint', { tokens: 10n }, /cannot serialize a bigint at \$\.tokens/],
      ['NaN', { score: Number.NaN }, /non-finite number NaN at \$\.score/],
      ['Infinity', [Number.POSITIVE_INFINITY], /non-finite number Infinity/],
      ['a Map', { m: new Map([['a', 1]]) }, /cannot serialize a Map at \$\.m/],
      ['a Set', new Set([1]), /cannot serialize a Set at \$/],
      ['undefined at the top', undefined, /cannot serialize undefined/],
    ])('fails on %s', (_case, value, message) => {
      expect(() => canonicalJson(value)).toThrow(TypeError);
      expect(() => canonicalJson(value)).toThrow(message);
    });

    it('fails on a cycle, naming where it closes', () => {
      const node: Record<string, unknown> = { name: 'a', children: [] };
      (node.children as unknown[]).push({ parent: node });
      expect(() => canonicalJson(node)).toThrow(/cycle at \$\.children\[0\]\.parent/);
    });
  });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the UTF-8 bytes of the text', () => {
    expect(sha256Hex('é')).toBe(sha256Hex(Buffer.from([0xc3, 0xa9]).toString('utf8')));
    expect(sha256Hex('é')).not.toBe(sha256Hex('e\u0301')); // no Unicode normalization: different code points
  });
});

describe('canonical hash of a request', () => {
  const hash = (value: unknown) => sha256Hex(canonicalJson(value));

  it('is the same for the same request written in a different key order', () => {
    const { inferenceConfig, messages, system, modelId } = request;
    expect(hash({ inferenceConfig, messages, system, modelId })).toBe(hash(request));
  });

  it('changes when any value changes', () => {
    const base = hash(request);
    const variants = [
      { ...request, modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
      { ...request, inferenceConfig: { maxTokens: 513, temperature: 0.2 } },
      { ...request, inferenceConfig: { maxTokens: 512, temperature: 0.20000001 } },
      { ...request, messages: [{ role: 'user', content: [{ text: 'Where is my order? ' }] }] },
      { ...request, messages: [{ role: 'assistant', content: [{ text: 'Where is my order?' }] }] },
      { ...request, system: [] },
      { ...request, inferenceConfig: { maxTokens: '512', temperature: 0.2 } }, // type change
      { ...request, extra: null },
    ];
    const hashes = variants.map(hash);
    expect(hashes).not.toContain(base);
    expect(new Set(hashes).size).toBe(variants.length);
  });

  it('is a 64-character lowercase hex string', () => {
    expect(hash(request)).toMatch(/^[0-9a-f]{64}$/);
  });
});
