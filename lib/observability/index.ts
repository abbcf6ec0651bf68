export type { GenAiMetricScope } from './genai-metric';
export type { MonitoredWorkflow } from './monitored-workflow';
export { MonitoredWorkflows } from './monitored-workflow';
export * from './genai-dashboard';
export * from './genai-alarms';
export * from './cost-anomaly-monitor';
export type { BedrockInvocationLoggingProps } from './invocation-logging';
export { BedrockInvocationLogging } from './invocation-logging';
