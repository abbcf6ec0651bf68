export * from './bundled-handler';
export * from './genai-function';
