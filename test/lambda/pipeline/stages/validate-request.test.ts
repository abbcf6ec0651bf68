import { PipelineError } from '../../../../lambda/pipeline/errors';
import { MAX_BODY_CHARS, parseJsonBody, validateRequest } from '../../../../lambda/pipeline/stages/validate-request';
import { CHAT_LIMITS, pipelineErrorThrownBy, testConfig } from '../support';

const config = testConfig({ features: { chat: CHAT_LIMITS, summarize: { maxInputTokens: 8_000, maxOutputTokens: 300 } } });
const identity = { requestId: 'req-1' };
const valid = { message: 'How do I reset my password?', tenantId: 'customer-123' };

/** The 400 that validating `body` throws. */
function rejectionOf(body: unknown): PipelineError {
  return pipelineErrorThrownBy(() => validateRequest(body, identity, config));
}

describe('validate-request stage', () => {
  describe('a valid body', () => {
    test('becomes a request with the defaults filled in and unknown fields ignored', () => {
      // Given a minimal body with a field the pipeline does not know
      const body = { ...valid, clientVersion: '2.3.1' };

      // When it is validated
      const request = validateRequest(body, identity, config);

      // Then it carries the message and tenant, the default feature, an anonymous user and no history
      expect(request).toEqual({
        requestId: 'req-1',
        tenantId: 'customer-123',
        userId: 'anonymous',
        feature: 'chat',
        systemPrompt: undefined,
        context: undefined,
        history: [],
        message: 'How do I reset my password?',
        hints: { complexity: undefined, maxOutputTokens: undefined },
      });
    });

    test('keeps every optional field it was given', () => {
      // Given a body that uses every field
      const body = {
        ...valid,
        userId: 'user-42',
        feature: 'summarize',
        system: 'You are terse.',
        context: 'Refunds take 30 days.',
        history: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }],
        complexity: 'medium',
        maxOutputTokens: 100,
      };

      // When it is validated
      const request = validateRequest(body, identity, config);

      // Then each field is carried over
      expect(request).toMatchObject({
        userId: 'user-42',
        feature: 'summarize',
        systemPrompt: 'You are terse.',
        context: 'Refunds take 30 days.',
        history: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }],
        hints: { complexity: 'medium', maxOutputTokens: 100 },
      });
    });

    test('treats a blank system prompt and context as absent', () => {
      // Given whitespace-only system and context
      const request = validateRequest({ ...valid, system: '   ', context: '\n\t' }, identity, config);

      // Then neither is sent to the model
      expect(request.systemPrompt).toBeUndefined();
      expect(request.context).toBeUndefined();
    });
  });

  describe('the identity', () => {
    test('wins over the tenant and user claimed in the body', () => {
      // Given an authorizer that says customer-123 / user-42 and a body that claims another tenant
      const who = { requestId: 'req-1', tenantId: 'customer-123', userId: 'user-42' };

      // When the body is validated
      const request = validateRequest({ ...valid, tenantId: 'customer-999', userId: 'someone-else' }, who, config);

      // Then the identity's tenant and user are used
      expect(request.tenantId).toBe('customer-123');
      expect(request.userId).toBe('user-42');
    });

    test('makes the tenant in the body optional', () => {
      // Given an identity with a tenant and a body without one
      const request = validateRequest({ message: 'Hi' }, { requestId: 'req-1', tenantId: 'customer-123' }, config);

      // Then the request belongs to the identity's tenant
      expect(request.tenantId).toBe('customer-123');
    });

    test("files the body's user under the principal that names its own users, or the principal itself", () => {
      const who = { requestId: 'req-1', tenantSource: 'iam' as const, userPrincipal: 'AROAFRONTEND:web' };

      expect(validateRequest({ ...valid, userId: 'user-42' }, who, config).userId).toBe('AROAFRONTEND:web/user-42');
      expect(validateRequest(valid, who, config).userId).toBe('AROAFRONTEND:web');
    });
  });

  describe('a body that is not an object', () => {
    test.each([
      ['null', null],
      ['an array', [valid]],
      ['a string', 'How do I reset my password?'],
      ['a number', 42],
    ])('is rejected naming the body when it is %s', (_name, body) => {
      const error = rejectionOf(body);

      expect(error.status).toBe(400);
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.details).toEqual({ field: 'body' });
    });
  });

  // Every field: a wrong value is a 400 whose details and message name the field.
  test.each<[string, Record<string, unknown>, string]>([
    ['a missing message', { tenantId: 'customer-123' }, 'message'],
    ['a blank message', { ...valid, message: '   ' }, 'message'],
    ['a message that is not a string', { ...valid, message: { text: 'hi' } }, 'message'],
    ['a missing tenant', { message: 'Hi' }, 'tenantId'],
    ['a tenant with a space', { ...valid, tenantId: 'customer 123' }, 'tenantId'],
    ['a tenant of 129 characters', { ...valid, tenantId: 't'.repeat(129) }, 'tenantId'],
    ['a tenant that is a number', { ...valid, tenantId: 123 }, 'tenantId'],
    ['a user with a slash', { ...valid, userId: 'users/42' }, 'userId'],
    ['an empty user', { ...valid, userId: '' }, 'userId'],
    ['a feature with a space', { ...valid, feature: 'my feature' }, 'feature'],
    ['a system prompt that is not a string', { ...valid, system: ['be terse'] }, 'system'],
    ['a context that is not a string', { ...valid, context: 42 }, 'context'],
    ['a complexity that is not a tier', { ...valid, complexity: 'hard' }, 'complexity'],
    ['a complexity that is not a string', { ...valid, complexity: 2 }, 'complexity'],
    ['an output cap of zero', { ...valid, maxOutputTokens: 0 }, 'maxOutputTokens'],
    ['a fractional output cap', { ...valid, maxOutputTokens: 10.5 }, 'maxOutputTokens'],
    ['an output cap given as a string', { ...valid, maxOutputTokens: '100' }, 'maxOutputTokens'],
    ['a history that is not an array', { ...valid, history: 'hi' }, 'history'],
  ])('rejects %s with 400 naming %s', (_case, body, field) => {
    const error = rejectionOf(body);

    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.details).toEqual({ field });
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  describe('the feature', () => {
    test('must be one the workflow configures, and the 400 lists those', () => {
      const error = rejectionOf({ ...valid, feature: 'translate' });

      expect(error.status).toBe(400);
      expect(error.details).toEqual({ field: 'feature' });
      expect(error.message).toContain("'translate' is not a feature of this workflow");
      expect(error.message).toContain('chat, summarize');
    });

    test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
      'named like an Object.prototype member (%s) is unknown, not a feature with undefined limits',
      (feature) => {
        const error = rejectionOf({ ...valid, feature });

        expect(error.status).toBe(400);
        expect(error.details).toEqual({ field: 'feature' });
      },
    );
  });

  describe('the history', () => {
    test('must start with a user turn', () => {
      const error = rejectionOf({ ...valid, history: [{ role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Hi' }] });

      expect(error.status).toBe(400);
      expect(error.details).toEqual({ field: 'history[0].role' });
    });

    test('must alternate user and assistant turns', () => {
      const error = rejectionOf({
        ...valid,
        history: [{ role: 'user', content: 'Hi' }, { role: 'user', content: 'Hello?' }],
      });

      expect(error.status).toBe(400);
      expect(error.details).toEqual({ field: 'history[1].role' });
      expect(error.message).toContain("must be 'assistant'");
    });

    test('must end with an assistant turn, the new message being the next user turn', () => {
      const error = rejectionOf({
        ...valid,
        history: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Still there?' }],
      });

      expect(error.status).toBe(400);
      expect(error.details).toEqual({ field: 'history' });
    });

    test('rejects a turn that is not an object, naming its role', () => {
      const error = rejectionOf({ ...valid, history: ['Hi', 'Hello!'] });

      expect(error.details).toEqual({ field: 'history[0].role' });
    });

    test('rejects a turn with blank content, naming its content', () => {
      const error = rejectionOf({ ...valid, history: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: ' ' }] });

      expect(error.status).toBe(400);
      expect(error.details).toEqual({ field: 'history[1].content' });
    });

    test('accepts at most 200 turns', () => {
      // Given 202 alternating turns
      const history = Array.from({ length: 202 }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `turn ${i}` }));

      const error = rejectionOf({ ...valid, history });

      expect(error.status).toBe(400);
      expect(error.details).toEqual({ field: 'history' });
      expect(error.message).toContain('202 turns');
    });
  });
});

describe('parseJsonBody', () => {
  test('parses a JSON body', () => {
    expect(parseJsonBody('{"message":"Hi"}', false)).toEqual({ message: 'Hi' });
  });

  test('decodes a base64 body before parsing it', () => {
    // Given the body API Gateway delivers base64-encoded for a binary media type
    const raw = Buffer.from('{"message":"Grüße 👋"}', 'utf8').toString('base64');

    expect(parseJsonBody(raw, true)).toEqual({ message: 'Grüße 👋' });
  });

  test.each([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
  ])('rejects a %s body with 400 naming the body', (_name, raw) => {
    const error = pipelineErrorThrownBy(() => parseJsonBody(raw, false));

    expect(error.status).toBe(400);
    expect(error.details).toEqual({ field: 'body' });
  });

  test('rejects a body that is not JSON with 400', () => {
    const error = pipelineErrorThrownBy(() => parseJsonBody('message=Hi', false));

    expect(error.status).toBe(400);
    expect(error.message).toBe('body: is not valid JSON.');
  });

  test('rejects a body over the character limit with 413 and the numbers, before parsing it', () => {
    // Given a body one character over the limit (and not even valid JSON)
    const raw = 'x'.repeat(MAX_BODY_CHARS + 1);

    const error = pipelineErrorThrownBy(() => parseJsonBody(raw, false));

    expect(error.status).toBe(413);
    expect(error.code).toBe('BODY_TOO_LARGE');
    expect(error.details).toEqual({ chars: 2_000_001, limit: 2_000_000 });
  });

  test('measures the limit on the decoded text of a base64 body', () => {
    // Given a base64 body whose decoded text is over the limit
    const raw = Buffer.from('y'.repeat(MAX_BODY_CHARS + 1)).toString('base64');

    const error = pipelineErrorThrownBy(() => parseJsonBody(raw, true));

    expect(error.status).toBe(413);
    expect(error.details).toMatchObject({ chars: 2_000_001 });
  });
});
