export * from './bedrock-model';
export * from './genai-inference-profile';
