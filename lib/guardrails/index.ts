export { UsageScope, UsageWindow } from './usage-limits';
export type { UsageLimit } from './usage-limits';
