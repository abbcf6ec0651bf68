export * from './spend-guard';
export * from './guard-chain';
export * from './container-usage-guard';
export * from './usage-windows';
export * from './breaker-guard';
export * from './ledger-guard';
export * from './ledger-limits';
