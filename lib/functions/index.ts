export { BundledHandler } from './bundled-handler';
export { GenAiFunction } from './genai-function';
export type { GenAiFunctionProps } from './genai-function';
