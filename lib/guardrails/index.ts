export { UsageScope, UsageWindow } from './usage-limits';
export type { UsageLimit } from './usage-limits';
export { BudgetPeriod, CircuitBreaker, WhenTripped } from './circuit-breaker';
export type { BudgetTrigger, CircuitBreakerProps, SpendSource } from './circuit-breaker';
