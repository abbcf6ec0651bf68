/**
 * A local Amazon Bedrock Runtime: an HTTP server speaking Bedrock's wire format so that the unmodified
 * AWS SDK client can run against it in tests, the CLI and the benchmark.
 */
export { startBedrockSimulator } from './server';
export type { BedrockSimulator, BedrockSimulatorOptions, FaultKind, SimulatedCall, SimulatedOperation, SimulatedStream, SimulatedUsage, StreamFaultKind } from './types';
export { countTokens, tokenize, truncateToTokens } from './tokenizer';
export { contextWindowTokens, minimumCacheableTokens, resolveBaseModelId } from './models';
export { BedrockMessages } from './errors';
