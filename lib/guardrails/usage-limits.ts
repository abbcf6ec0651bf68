import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { UsageLimitConfig } from '../../lambda/contract';

/** Who a usage limit counts for. */
export enum UsageScope {
  /** Each user of each tenant (`userId` within the tenant). */
  USER = 'user',
  /** Each tenant: an API key, an authorizer's tenant, or the tenant an IAM caller names. */
  TENANT = 'tenant',
  /** Each feature of the workflow. */
  FEATURE = 'feature',
  /** The workflow as a whole. */
  WORKFLOW = 'workflow',
}

/** The calendar window (UTC) a usage limit counts in; it resets when the calendar moves on. */
export enum UsageWindow {
  MINUTE = 'minute',
  HOUR = 'hour',
  DAY = 'day',
  MONTH = 'month',
}

/**
 * A usage limit of a workflow: at most so many requests, tokens or US dollars per scope and window. Tokens are
 * fresh input, cache writes and output (cache reads count apart: they cost a tenth). Before a model call the
 * workflow reserves the most the call can use (the input-token upper bound plus the output cap, at the dearest
 * price that can apply) and refuses it with 429 when that does not fit; afterwards it settles to what Bedrock
 * billed. A response-cache hit counts as a request but uses no tokens.
 */
export interface UsageLimit {
  readonly scope: UsageScope;
  readonly window: UsageWindow;
  /** @default - requests are not limited */
  readonly maxRequests?: number;
  /** @default - tokens are not limited */
  readonly maxTokens?: number;
  /** @default - spend is not limited */
  readonly maxCostUsd?: number;
}

/**
 * The limits as the runtime reads them, checked at synthesis: each names at least one maximum, each maximum a
 * number of at least 0 (requests and tokens whole).
 */
export function usageLimitsConfig(scope: IConstruct, limits: ReadonlyArray<UsageLimit> | undefined): UsageLimitConfig[] {
  return (limits ?? []).map((limit, i) => {
    const where = `${scope.node.path}: usageLimits[${i}]`;
    if (!Object.values(UsageScope).includes(limit.scope)) {
      throw new Error(`${where}.scope is ${JSON.stringify(limit.scope)}. Fix: use UsageScope.USER, TENANT, FEATURE or WORKFLOW.`);
    }
    if (!Object.values(UsageWindow).includes(limit.window)) {
      throw new Error(`${where}.window is ${JSON.stringify(limit.window)}. Fix: use UsageWindow.MINUTE, HOUR, DAY or MONTH.`);
    }
    const given = [limit.maxRequests, limit.maxTokens, limit.maxCostUsd].filter((v) => v !== undefined);
    if (given.length === 0) throw new Error(`${where} sets no maximum. Fix: give maxRequests, maxTokens or maxCostUsd.`);
    for (const [name, value, whole] of [['maxRequests', limit.maxRequests, true], ['maxTokens', limit.maxTokens, true], ['maxCostUsd', limit.maxCostUsd, false]] as const) {
      if (value === undefined || Token.isUnresolved(value)) continue;
      if (!Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
        throw new Error(`${where}.${name} is ${value}. Fix: use a ${whole ? 'whole number' : 'number of US dollars'} of at least 0.`);
      }
    }
    return {
      scope: limit.scope,
      window: limit.window,
      ...(limit.maxRequests !== undefined ? { maxRequests: limit.maxRequests } : {}),
      ...(limit.maxTokens !== undefined ? { maxTokens: limit.maxTokens } : {}),
      ...(limit.maxCostUsd !== undefined ? { maxCostUsd: limit.maxCostUsd } : {}),
    };
  });
}
