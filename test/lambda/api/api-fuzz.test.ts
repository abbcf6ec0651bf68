import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { handler } from '../../../lambda/api/handler';
import { stdoutLinesOf } from '../pipeline/support';
import { event } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';

// Fuzzing the real API handler (real SDK clients, DynamoDB Local, the Bedrock simulator) with hostile payloads:
// whatever arrives, the caller gets a 2xx, or a 4xx with an `error` code and a `message`; never a 5xx, never a throw.
// The seed is fixed so that the suite is deterministic; set FUZZ_SEED to explore other inputs.

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_128);
const NUM_RUNS = 200;
// Each property makes up to 200 real round trips through the handler, DynamoDB Local and the simulator: seconds on an
// idle machine, over a minute on a busy 2-core one. The bound catches a hang; it must not measure the machine's speed.
const PROPERTY_TIMEOUT_MS = 10 * 60_000;

const h = useApiHarness({ cacheTables: ['fuzz-response-cache', 'fuzz-embedding-cache'], config: { responseCacheTable: 'fuzz-response-cache', embeddingTable: 'fuzz-embedding-cache' } });

// --- Arbitraries -------------------------------------------------------------------------------------------------

const ODD_UNICODE = [
  '\u0000', '\u202e\u0635\u0628\u0627\u062d', '\ufeff', '\ud83d', '\udc00', 'e\u0301\u0301\u0301', '👩‍👩‍👧‍👦', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u00a0\u3000',
  '日本語のテキスト', '<script>alert(1)</script>', '{"nested": "json"}', '%00%2F..%2F', '\r\n\t',
];
const oddText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(...ODD_UNICODE),
  fc.array(fc.constantFrom(...ODD_UNICODE), { maxLength: 8 }).map((parts) => parts.join('')),
);
// Strings far over the prompt limit (300,000 characters: ~85,700 estimated tokens), a 60,000-character text (over
// the embedding cache's 50,000 characters per text), and 42,000 characters of prose: under that limit but, at
// ~14,000 tokens, over Titan's 8,192-token input.
const HUGE_MESSAGE = 'lorem ipsum '.repeat(25_000);
const LONG_TEXT = 'x'.repeat(60_000);
const LONG_PROSE = 'lorem ipsum '.repeat(3_500);
const hugeText = fc.constantFrom(HUGE_MESSAGE, LONG_TEXT, LONG_PROSE, '🙂'.repeat(30_000));
const validId = fc.stringMatching(/^[A-Za-z0-9._:@-]{1,20}$/);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof({ weight: 5, arbitrary: fc.lorem({ maxCount: 12 }) }, { weight: 4, arbitrary: oddText }, { weight: 1, arbitrary: hugeText });

/** Alternating turns starting with the user and ending with the assistant, as Converse wants them. */
const validHistory = fc.array(fc.tuple(text, text), { maxLength: 3 })
  .map((pairs) => pairs.flatMap(([question, answer]) => [{ role: 'user', content: question }, { role: 'assistant', content: answer }]));

/** A payload of the right shape whose strings may be odd or huge: most of these reach the model. */
const validPayload = fc.record({
  message: text,
  tenantId: validId,
  userId: validId,
  feature: fc.constant('chat'),
  system: text,
  context: text,
  history: validHistory,
  complexity: fc.constantFrom('simple', 'medium', 'complex'),
  maxOutputTokens: fc.integer({ min: 1, max: 5_000 }),
  texts: fc.array(text, { minLength: 1, maxLength: 4 }),
}, { requiredKeys: ['message', 'tenantId', 'texts'] });

const FIELDS = ['message', 'tenantId', 'userId', 'feature', 'system', 'context', 'history', 'complexity', 'maxOutputTokens', 'texts', 'isBase64Encoded'];
/** A valid payload with one or two fields replaced by anything at all: a wrong type, odd or huge text. */
const mutatedPayload = fc.tuple(
  validPayload,
  fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.oneof(anyJson, oddText, hugeText, fc.constantFrom('constructor', '__proto__', 'toString'))), { minLength: 1, maxLength: 2 }),
).map(([valid, changes]) => ({ ...valid, ...Object.fromEntries(changes) }));

const body = fc.oneof(
  { weight: 5, arbitrary: validPayload.map((p) => JSON.stringify(p)) },
  { weight: 3, arbitrary: mutatedPayload.map((p) => JSON.stringify(p)) },
  { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.oneof(oddText, fc.constantFrom('', 'null', '{', '[]', '"just a string"', '{"message": "hi"}'.repeat(2))) },
);
const apiEvent = fc.record({
  body: fc.option(body, { nil: null, freq: 30 }),
  base64: fc.constantFrom('no', 'no', 'no', 'encoded', 'encoded', 'raw-but-flagged'),
  path: fc.constantFrom('/invoke', '/invoke', '/invoke', '/embed'),
  authorizerTenant: fc.option(fc.oneof(validId, oddText, anyJson), { nil: undefined, freq: 3 }),
  authorizerPrincipal: fc.option(fc.oneof(validId, oddText, anyJson), { nil: undefined, freq: 5 }),
}).map(({ body: raw, base64, path, authorizerTenant, authorizerPrincipal }): APIGatewayProxyEvent => {
  const base = event('api-gateway-proxy');
  return {
    ...base,
    path,
    resource: path,
    body: raw !== null && base64 === 'encoded' ? Buffer.from(raw, 'utf8').toString('base64') : raw,
    isBase64Encoded: base64 !== 'no',
    requestContext: { ...base.requestContext, ...(authorizerTenant !== undefined ? { authorizer: { tenantId: authorizerTenant, principalId: authorizerPrincipal } } : {}) },
  };
});

// --- Properties --------------------------------------------------------------------------------------------------

describe('API handler under fuzzed payloads', () => {
  test('answers every payload with a 2xx, or a 4xx carrying an error code and a message; never a 5xx, never a throw', async () => {
    const failures: string[] = [];
    await stdoutLinesOf(() => fc.assert(
      fc.asyncProperty(apiEvent, async (e) => {
        const response = await handler(e);
        const parsed = JSON.parse(response.body);
        if (response.statusCode >= 200 && response.statusCode < 300) return;
        if (response.statusCode >= 400 && response.statusCode < 500 && typeof parsed.error === 'string' && typeof parsed.message === 'string') return;
        failures.push(`${response.statusCode} ${response.body.slice(0, 300)}`);
        throw new Error(`unexpected response ${response.statusCode}: ${response.body.slice(0, 300)}`);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    ));

    expect(failures).toEqual([]);
  }, PROPERTY_TIMEOUT_MS);

  // One field at a time with a wrong value, the rest valid: the 400 names exactly that field.
  const wrongValue: Record<string, fc.Arbitrary<unknown>> = {
    message: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.constantFrom('', '   ', '\n\t')),
    tenantId: fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('', 'has space', 'slash/ed', 'é', 't'.repeat(129)), fc.dictionary(fc.string(), fc.string())),
    userId: fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('', 'has space', '😀')),
    feature: fc.oneof(fc.integer(), fc.constantFrom('', 'has space', 'unknown-feature', 'constructor', 'toString', '__proto__')),
    system: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { minLength: 1 })),
    context: fc.oneof(fc.integer(), fc.boolean(), fc.dictionary(fc.string(), fc.string())),
    history: fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.dictionary(fc.string(), fc.string())),
    complexity: fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('', 'hard', 'SIMPLE')),
    maxOutputTokens: fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true }), fc.string(), fc.boolean()),
  };
  const wrongField = fc.constantFrom(...Object.keys(wrongValue)).chain((field) => wrongValue[field].map((value) => ({ field, value })));

  test('rejects a payload with one wrong field with 400 naming that field, and calls no model', async () => {
    h.sim.reset();
    await stdoutLinesOf(() => fc.assert(
      fc.asyncProperty(wrongField, async ({ field, value }) => {
        const valid = { message: 'How do I reset my password?', tenantId: 'customer-123' };
        const response = await handler({ ...event('api-gateway-proxy'), body: JSON.stringify({ ...valid, [field]: value }) });
        const parsed = JSON.parse(response.body);
        expect(response.statusCode).toBe(400);
        expect(parsed.details.field).toBe(field);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    ));

    expect(h.sim.calls).toEqual([]);
  }, PROPERTY_TIMEOUT_MS);
});
