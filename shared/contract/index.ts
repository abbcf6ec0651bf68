/**
 * The contract between the constructs (lib/) and the runtime (lambda/): the configuration they exchange, the
 * environment variable names, the metric namespace, names and dimensions, and the defaults. Pure: it imports
 * neither aws-cdk-lib nor an AWS SDK, so both sides (and the CLI) can depend on it.
 */
export * from './defaults';
export * from './environment';
export * from './guards';
export * from './metrics';
export * from './pipeline-config';
export * from './breaker';
export * from './reconciliation';
export * from './tag-keys';
export * from './alerts';
export * from './api-headers';
export * from './degrade';
export * from './deferred';
