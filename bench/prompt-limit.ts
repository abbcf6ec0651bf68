import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { GenAiPipeline } from '../lambda/pipeline/pipeline';
import { normalizeConfig } from '../lambda/pipeline/config';
import { PipelineError } from '../lambda/pipeline/errors';
import { estimateRequestTokens } from '../lambda/pipeline/stages/estimate-tokens';
import { MemoryRecorder } from '../lambda/pipeline/stages/record-request';
import { startBedrockSimulator } from '../packages/local/src/bedrock-simulator';
import { CORPUS_KINDS, promptCorpus } from '../test/fixtures/prompt-corpus';
import { round } from './stats';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

/**
 * The prompt limit over the near-limit corpus (`test/fixtures/prompt-corpus.ts`: prose in five languages, code, JSON
 * and CJK, from 0.3x to 4x a 2,000-token limit), through the pipeline and the real SDK to the Bedrock simulator:
 * how many prompts the bounds decided alone, how many needed Bedrock's CountTokens (free, one round trip), and how
 * many were wrongly refused or admitted against the simulator's real count (both must be 0).
 */
export async function measurePromptLimit(limit = 2_000) {
  const simulator = await startBedrockSimulator();
  const bedrock = new BedrockRuntimeClient({
    region: 'us-east-1', endpoint: simulator.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1,
  });
  try {
    const pipeline = new GenAiPipeline(normalizeConfig({
      tiers: { simple: { invokeId: HAIKU, modelId: HAIKU } },
      defaultLimits: { maxInputTokens: limit, maxOutputTokens: 64 },
    }), { bedrock, recorder: new MemoryRecorder() });
    const byKind: Record<string, { requests: number; counted: number }> = Object.fromEntries(CORPUS_KINDS.map((k) => [k, { requests: 0, counted: 0 }]));
    let counted = 0;
    let falseRefusals = 0;
    let falseAdmissions = 0;
    let refusedOnEstimateBefore = 0;
    const corpus = promptCorpus(limit);
    for (const [i, prompt] of corpus.entries()) {
      const before = simulator.calls.length;
      let admitted = true;
      try {
        await pipeline.handle({ message: prompt.message, tenantId: 'bench' }, { requestId: `limit-${i}` });
      } catch (error) {
        if (!(error instanceof PipelineError) || error.code !== 'PROMPT_TOO_LARGE') throw error;
        admitted = false;
      }
      const asked = simulator.calls.slice(before).some((c) => c.operation === 'CountTokens');
      counted += asked ? 1 : 0;
      byKind[prompt.kind].requests++;
      byKind[prompt.kind].counted += asked ? 1 : 0;
      if (!admitted && prompt.realInputTokens <= limit) falseRefusals++;
      if (admitted && prompt.realInputTokens > limit) falseAdmissions++;
      // The rule before issue 15: a central estimate over the limit refused without counting.
      const estimate = estimateRequestTokens({ requestId: '', tenantId: '', userId: '', feature: '', history: [], message: prompt.message, hints: {} }, undefined);
      if (estimate.total > limit && prompt.realInputTokens <= limit) refusedOnEstimateBefore++;
    }
    return {
      limit,
      shares: 'message sizes 0.3x to 4x the limit (test/fixtures/prompt-corpus.ts)',
      requests: corpus.length,
      countTokensCalls: counted,
      countTokensShare: round(counted / corpus.length, 3),
      countTokensShareByKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, round(v.counted / v.requests, 3)])),
      falseRefusals,
      falseAdmissions,
      falseRefusalsUnderTheOldEstimateRule: refusedOnEstimateBefore,
    };
  } finally {
    bedrock.destroy();
    await simulator.close();
  }
}
