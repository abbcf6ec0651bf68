export * from './genai-workflow-props';
export * from './near-limit-policy';
export * from './genai-workflow-base';
export * from './api-workflow';
export * from './document-workflow';
export * from './scheduled-workflow';
