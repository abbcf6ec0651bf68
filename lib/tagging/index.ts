export * from './genai-tag-keys';
export * from './genai-tags';
export * from './genai-tag-policy';
