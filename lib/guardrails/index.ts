export { LedgerFailureMode, UsageLimits, UsageScope, UsageWindow } from './usage-limits';
export type { UsageLimit } from './usage-limits';
export { UsageLedger } from './usage-ledger';
export type { UsageLedgerProps } from './usage-ledger';
