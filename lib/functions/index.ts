export * from './genai-function';
