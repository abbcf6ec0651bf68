import { DEFAULT_MODEL_CATALOG, INFERENCE_GEOGRAPHIES, isBaseModelId, modelFacts } from '../../../shared/core';
import { BedrockModel, CrossRegionGeography } from '../../../lib/inference';

// The constructs cannot import lambda/core yet (the published package ships dist/lib only), so BedrockModel keeps its
// own id rules; these tests hold them to core's.
describe('BedrockModel and core model facts', () => {
  test.each(Object.keys(DEFAULT_MODEL_CATALOG).map((id) => [id]))('accepts catalog model %s with the provider core reports', (id) => {
    expect(BedrockModel.foundationModel(id).provider).toBe(modelFacts(id).provider);
  });

  test.each(INFERENCE_GEOGRAPHIES.map((g) => [`${g}.anthropic.claude-haiku-4-5-20251001-v1:0`]))('refuses the profile id %s, as core does', (id) => {
    expect(isBaseModelId(id)).toBe(false);
    expect(() => BedrockModel.foundationModel(id)).toThrow(/is not a Bedrock base model id/);
  });

  test('offers only geographies core knows', () => {
    for (const geography of Object.values(CrossRegionGeography)) expect(INFERENCE_GEOGRAPHIES).toContain(geography);
  });
});
