/**
 * Predicted against measured: the estimator's figure for the demo's own workload, written as a workload file would
 * be (averages measured from the generated requests with the simulator's tokenizer, the generator's 70/25/5 mix,
 * its exact-repeat share, the library's output cap), beside what the replay through the bundled handler cost.
 */
import { DEFAULT_MAX_OUTPUT_TOKENS } from './function-env';
import { MODEL_TIERS } from '../../../../shared/contract';
import { DEFAULT_TIER_MODELS } from '../../../../shared/core';
import { estimateWorkload, parseWorkloadText } from '../../../../estimator';
import { contextBlockText } from '../../../../lambda/pipeline/stages/prompt-cache';
import { generateAnswer } from '../bedrock-simulator/answer';
import { countTokens } from '../bedrock-simulator/tokenizer';
import type { MessageClass } from './questions';
import { DEFAULT_MIX, generateWorkload, WorkloadRequest } from './workload';

/** The workload's averages, as measured from the generated requests. */
export interface MeasuredWorkload {
  readonly requests: number;
  readonly systemPrompt: number;
  readonly ragContext: number;
  readonly history: number;
  readonly userInput: number;
  /** The simulated models' mean answer, uncapped (each fresh request answered by its class's tier model). */
  readonly output: number;
  /** The same answers capped at the library's output cap, then averaged. */
  readonly outputCapped: number;
  /** Exact repeats over requests. */
  readonly duplicateRate: number;
  /**
   * The share of the cached prefix's tokens that model calls write rather than read. The pipeline places two cache
   * points, after the system prompt and after the context: a tier's first call writes the system prompt, the first
   * call of each (tier, context) pair writes the context, every other call reads.
   */
  readonly cacheWriteShare: number;
}

/** The prediction for one demo run. */
export interface DemoPrediction {
  readonly measured: MeasuredWorkload;
  /**
   * The prediction: one workload file per tier (each tier's own measured averages, requests, repeats and cache
   * writes, its answers' mean after the cap), estimated apart and summed, USD.
   */
  readonly predictedUsd: number;
  /**
   * One workload file with the pooled averages, the uncapped answer mean and `outputCap`, as one would write it
   * without per-tier figures, USD. It puts the long answers of medium and complex questions on every tier's model
   * (they go to the dearer ones) and caps the mean instead of each answer.
   */
  readonly pooledUsd: number;
}

const mean = (values: ReadonlyArray<number>) => (values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length);

/** Measures the averages of some of the workload's requests. */
export function measureRequests(all: ReadonlyArray<WorkloadRequest>): MeasuredWorkload {
  const fresh = all.filter((r) => r.repeatOf === undefined);
  const answer = (r: WorkloadRequest) => countTokens(generateAnswer(DEFAULT_TIER_MODELS[r.messageClass], r.body.message));
  const answers = fresh.map(answer);
  const systemTokens = (r: WorkloadRequest) => countTokens(r.body.system);
  const contextTokens = (r: WorkloadRequest) => countTokens(contextBlockText(r.body.context));
  const firstOf = (key: (r: WorkloadRequest) => string) => [...new Map(fresh.map((r) => [key(r), r] as const)).values()];
  const written = firstOf((r) => `${r.messageClass}\n${r.body.system}`).reduce((s, r) => s + systemTokens(r), 0)
    + firstOf((r) => `${r.messageClass}\n${r.body.system}\n${r.body.context}`).reduce((s, r) => s + contextTokens(r), 0);
  const cached = fresh.reduce((s, r) => s + systemTokens(r) + contextTokens(r), 0);
  return {
    requests: all.length,
    systemPrompt: mean(all.map(systemTokens)),
    ragContext: mean(all.map(contextTokens)),
    history: mean(all.map((r) => r.body.history.reduce((s, t) => s + countTokens(t.content), 0))),
    userInput: mean(all.map((r) => countTokens(r.body.message))),
    output: mean(answers),
    outputCapped: mean(answers.map((t) => Math.min(t, DEFAULT_MAX_OUTPUT_TOKENS))),
    duplicateRate: (all.length - fresh.length) / all.length,
    cacheWriteShare: cached === 0 ? 1 : written / cached,
  };
}

/** The workload file for the measured averages (whole tokens, as the format wants them). */
export function demoWorkloadJson(m: MeasuredWorkload, output = m.output, tier?: MessageClass): Record<string, unknown> {
  return {
    description: `The demo's workload: ${m.requests} requests, measured with the simulator's tokenizer.`,
    requests: { perMonth: m.requests },
    tokens: {
      systemPrompt: Math.round(m.systemPrompt),
      ragContext: Math.round(m.ragContext),
      history: Math.round(m.history),
      userInput: Math.round(m.userInput),
      output: Math.round(output),
    },
    ...(tier ? { model: DEFAULT_TIER_MODELS[tier] } : {}),
    ...(tier ? {} : { routing: Object.fromEntries(MODEL_TIERS.map((routedTier) => [routedTier, { model: DEFAULT_TIER_MODELS[routedTier], share: DEFAULT_MIX[routedTier] }])) }),
    promptCache: { parts: ['systemPrompt', 'ragContext'], ttl: '5m', cacheWriteShare: m.cacheWriteShare },
    responseCache: { duplicateRate: m.duplicateRate },
    outputCap: DEFAULT_MAX_OUTPUT_TOKENS,
  };
}

/** The estimator's prediction of the demo's "Library defaults" run. */
export function predictDemo(requests: number, seed: number | string): DemoPrediction {
  const all = generateWorkload({ requests, seed });
  const measured = measureRequests(all);
  const cost = (json: Record<string, unknown>, source: string) => estimateWorkload(parseWorkloadText(JSON.stringify(json), source)).optimized.perMonthUsd;
  let predictedUsd = 0;
  for (const tier of MODEL_TIERS) {
    const requestsOfTier = all.filter((r) => r.messageClass === tier);
    if (requestsOfTier.length === 0) continue;
    const m = measureRequests(requestsOfTier);
    predictedUsd += cost(demoWorkloadJson(m, m.outputCapped, tier), `demo workload, ${tier}`);
  }
  return { measured, predictedUsd, pooledUsd: cost(demoWorkloadJson(measured), 'demo workload') };
}

/** The relative difference of a prediction from the measured cost (0 when nothing was measured). */
export const predictionError = (predictedUsd: number, measuredUsd: number): number => (measuredUsd > 0 ? (predictedUsd - measuredUsd) / measuredUsd : 0);

/** The report's line: predicted beside measured, and why a pooled workload file is further off. */
export function formatPrediction(p: DemoPrediction, measuredUsd: number): string {
  const diff = (predicted: number) => { const e = predictionError(predicted, measuredUsd) * 100; return `${e >= 0 ? '+' : ''}${e.toFixed(1)} %`; };
  return `Estimator's prediction for this workload (genai-finops estimate, one workload per tier from the measured averages): $${p.predictedUsd.toFixed(4)} `
    + `against $${measuredUsd.toFixed(4)} replayed (${diff(p.predictedUsd)}). One pooled workload file says $${p.pooledUsd.toFixed(4)} (${diff(p.pooledUsd)}): `
    + 'it spreads the long answers of medium and complex questions over every model, and caps the mean answer instead of each.\n';
}
