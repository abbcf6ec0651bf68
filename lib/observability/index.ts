export type { GenAiMetricScope } from './genai-metric';
