export * from './spend-guard';
export * from './guard-chain';
export * from './container-usage-guard';
export * from './usage-windows';
export * from './ledger-guard';
export * from './ledger-limits';
