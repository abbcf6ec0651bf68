import { attoToUsd } from '../../../shared/core';
import type { LimitStatus, SpendAmount } from '../guards/spend-guard';

/**
 * A limit's status after the settlement, from its status after the reservation: what the settlement gave back (the
 * reservation less the charge) returns to `remaining`, in the limit's measure, and to a run's remaining budget. No
 * round trip: it ignores what other requests of the scope did in between, which the next answer's headers show.
 */
export function limitsAfterSettlement(status: LimitStatus, reserved: SpendAmount, billed: SpendAmount): LimitStatus {
  const tokensBack = Math.max(0, reserved.tokens - billed.tokens);
  const usdBack = reserved.costAtto > billed.costAtto ? attoToUsd(reserved.costAtto - billed.costAtto) : 0;
  const back = status.measure === 'tokens' ? tokensBack : status.measure === 'costUsd' ? usdBack : 0;
  const run = status.run && {
    ...status.run,
    ...(status.run.tokens !== undefined ? { tokens: status.run.tokens + tokensBack } : {}),
    ...(status.run.costUsd !== undefined ? { costUsd: status.run.costUsd + usdBack } : {}),
  };
  return { ...status, remaining: Math.min(status.limit, status.remaining + back), ...(run ? { run } : {}) };
}
