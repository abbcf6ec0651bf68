/**
 * The POC-to-production projection: what a workload costs when it grows from its proof of concept (two workload
 * files, the POC and production), and how much of the growth is volume and how much is each request getting dearer
 * (a longer system prompt, more retrieved context, conversation history).
 */
import type { WorkloadEstimate } from './estimate';

/** One side of the projection. */
export interface ProjectionSide {
  readonly requestsPerMonth: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The workload as configured (every lever it configures), per request and per month. */
  readonly perRequestUsd: number;
  readonly perMonthUsd: number;
  /** Without any lever: all traffic on the dearest model, no caching, uncapped. */
  readonly baselinePerMonthUsd: number;
}

/** The result of {@link projectWorkload}. */
export interface WorkloadProjection {
  readonly poc: ProjectionSide;
  readonly production: ProjectionSide;
  /** Production requests over POC requests. */
  readonly volumeFactor: number;
  /** Production cost per request over the POC's (as configured); undefined when the POC costs nothing. */
  readonly perRequestFactor?: number;
  /** Production month over the POC month (as configured): volume factor times per-request factor. */
  readonly monthFactor?: number;
}

const side = (e: WorkloadEstimate): ProjectionSide => ({
  requestsPerMonth: e.requestsPerMonth,
  inputTokens: e.tokens.input,
  outputTokens: e.tokens.outputCapped,
  perRequestUsd: e.optimized.perRequestUsd,
  perMonthUsd: e.optimized.perMonthUsd,
  baselinePerMonthUsd: e.baseline.perMonthUsd,
});

/** Projects a POC's estimate to its production estimate. */
export function projectWorkload(poc: WorkloadEstimate, production: WorkloadEstimate): WorkloadProjection {
  const p = side(poc);
  const q = side(production);
  return {
    poc: p,
    production: q,
    volumeFactor: p.requestsPerMonth > 0 ? q.requestsPerMonth / p.requestsPerMonth : 0,
    ...(p.perRequestUsd > 0 ? { perRequestFactor: q.perRequestUsd / p.perRequestUsd } : {}),
    ...(p.perMonthUsd > 0 ? { monthFactor: q.perMonthUsd / p.perMonthUsd } : {}),
  };
}
