/**
 * Pure logic shared by the runtime and the CLI: model catalog and prices, exact cost arithmetic, token estimates,
 * complexity routing rules and canonical hashing. Imports neither aws-cdk-lib nor an AWS SDK client, so it bundles
 * small and tests without mocks.
 */
export * from './model-catalog';
export * from './pricing';
export * from './token-estimate';
export * from './complexity';
export * from './canonical-hash';
export * from './token-bound';
export * from './prompt-tokens';
