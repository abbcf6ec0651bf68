import { DEFAULT_MODEL_CATALOG, modelFacts } from '../../../shared/core';
import { contextWindowTokens, minimumCacheableTokens, resolveBaseModelId } from '../../../packages/local/src/bedrock-simulator';

const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const APP_PROFILE = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123';

describe('Bedrock simulator: model facts', () => {
  test.each(Object.keys(DEFAULT_MODEL_CATALOG).map((id) => [id]))('agrees with core on %s: cache minimum and context window', (id) => {
    const facts = modelFacts(id);
    expect({ min: minimumCacheableTokens(id), window: contextWindowTokens(id) }).toEqual({ min: facts.minCacheTokens, window: facts.contextWindow });
  });

  test('agrees with core on a model core does not know: no caching, the fallback window', () => {
    const unknown = 'mistral.mistral-large-2402-v1:0';
    expect({ min: minimumCacheableTokens(unknown), window: contextWindowTokens(unknown) }).toEqual({ min: undefined, window: modelFacts(unknown).contextWindow });
  });

  test.each([
    [HAIKU_45],
    [`us.${HAIKU_45}`],
    [`global.${HAIKU_45}`],
    [`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU_45}`],
    [`arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.${HAIKU_45}`],
  ])('resolves %s to its base model id', (modelId) => {
    expect(resolveBaseModelId(modelId, {})).toBe(HAIKU_45);
  });

  test('resolves an application inference profile ARN through its alias only', () => {
    expect(resolveBaseModelId(APP_PROFILE, { [APP_PROFILE]: `us.${HAIKU_45}` })).toBe(HAIKU_45);
    expect(() => resolveBaseModelId(APP_PROFILE, {})).toThrow(/model identifier is invalid/i);
  });

  test.each([['not a model'], ['arn:aws:bedrock:us-east-1:111122223333:provisioned-model/xyz'], ['arn:aws:s3:::bucket'], [` ${HAIKU_45}`]])(
    'rejects %p like Bedrock does', (modelId) => {
      expect(() => resolveBaseModelId(modelId, {})).toThrow(/model identifier is invalid/i);
    });
});
