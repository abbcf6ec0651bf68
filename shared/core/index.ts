/**
 * Pure logic shared by the runtime and the CLI: model ids and facts, the model catalog and prices, exact cost
 * arithmetic, token estimates, complexity routing rules and canonical hashing. Imports neither aws-cdk-lib nor an AWS
 * SDK client, so it bundles small and tests without mocks.
 */
export * from './model-ids';
export * from './model-catalog';
export * from './model-facts';
export * from './price-overrides';
export * from './price-file';
export * from './pricing';
export * from './token-estimate';
export * from './complexity';
export * from './canonical-hash';
export * from './token-bound';
export * from './token-floor';
export * from './prompt-limit';
export * from './prompt-tokens';
export * from './model-regions';
export * from './calendar-day';
