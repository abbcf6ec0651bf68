/**
 * Local runs of the bundled workflow handlers, for the `genai-finops` CLI: the demo workload (a multi-tenant
 * customer-support chat shaped like the GenAI FinOps article's example), the scenarios that pull one cost lever
 * at a time, the replay through the real API handler, and the pieces `local invoke` shares with it.
 */
export { generateWorkload, describeWorkload, requestKey, DEFAULT_MIX, DEFAULT_REPEAT_RATE, TENANTS } from './workload';
export type { InvokeBody, WorkloadOptions, WorkloadRequest } from './workload';
export { supportSystemPrompt, SYSTEM_PROMPT_TOKENS } from './system-prompt';
export { KNOWLEDGE_BASE, ragContext, retrieve } from './knowledge-base';
export type { KnowledgeChunk, Topic } from './knowledge-base';
export type { MessageClass } from './questions';
export { SCENARIOS, NAIVE_MODEL, NAIVE_MAX_OUTPUT_TOKENS } from './scenarios';
export type { Levers, Scenario } from './scenarios';
export { runDemo, DEFAULT_REQUESTS, DEFAULT_SEED, TARGET_RATIO } from './run-demo';
export { DemoDeployment } from './deployment';
export type { DemoTemplate } from './demo-stack';
export type { DemoReport, DemoRun } from './run-demo';
export { formatReport } from './report';
export { runGuardrails, alarmEvent, BURST_REQUESTS, TENANT_TOKEN_LIMIT, TENANT_USD_LIMIT, BREAKER_FEATURES } from './guardrails';
export type { GuardrailsReport, QuotaOutcome, BreakerStepRow, BreakerTrip } from './guardrails';
export { replayWorkload } from './replay';
export type { RunTotals } from './replay';
export { startLocalStack } from './local-stack';
export type { LocalStack } from './local-stack';
export { applyEnvironment, modelAliases, WORKFLOWS } from './function-env';
export type { ConstructPipelineConfig, Workflow } from './function-env';
export { checkHandlerBundles, loadBundledHandler, useHandlerBundles } from './handler-bundle';
