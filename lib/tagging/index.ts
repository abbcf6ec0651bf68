export { GenAiTagKey } from './genai-tag-keys';
export { GenAiTags } from './genai-tags';
export type { GenAiTagValues } from './genai-tags';
export { GenAiTagPolicy } from './genai-tag-policy';
export type { GenAiTagPolicyOptions } from './genai-tag-policy';
