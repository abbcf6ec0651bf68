export * from './genai-function';
export { BundledHandler } from './bundled-handler';
