import { GenAiTagKey } from './genai-tag-keys';
import type { GenAiTagValues } from './genai-tags';

/** Keys a resource must carry unless the policy says otherwise: enough to answer "who spent what". */
export const DEFAULT_REQUIRED_GENAI_TAG_KEYS: ReadonlyArray<GenAiTagKey> = [
  GenAiTagKey.ENVIRONMENT,
  GenAiTagKey.APPLICATION,
  GenAiTagKey.FEATURE,
  GenAiTagKey.TEAM,
  GenAiTagKey.COST_CENTER,
];

/** Values accepted for Environment unless the policy configures its own list. */
export const DEFAULT_ALLOWED_ENVIRONMENTS: ReadonlyArray<string> = ['production', 'staging', 'development'];

/** Values accepted for InferenceType. */
export const ALLOWED_INFERENCE_TYPES: ReadonlyArray<string> = ['realtime', 'batch', 'async'];

/** Prop field ↔ tag key, in the schema's order. */
export const FIELD_TO_KEY: ReadonlyArray<[keyof GenAiTagValues, GenAiTagKey]> = [
  ['environment', GenAiTagKey.ENVIRONMENT],
  ['application', GenAiTagKey.APPLICATION],
  ['feature', GenAiTagKey.FEATURE],
  ['team', GenAiTagKey.TEAM],
  ['costCenter', GenAiTagKey.COST_CENTER],
  ['modelProvider', GenAiTagKey.MODEL_PROVIDER],
  ['model', GenAiTagKey.MODEL],
  ['inferenceType', GenAiTagKey.INFERENCE_TYPE],
  ['customer', GenAiTagKey.CUSTOMER],
];

/** Every GenAI tag key, in the schema's order. */
export const ALL_GENAI_TAG_KEYS: ReadonlyArray<GenAiTagKey> = FIELD_TO_KEY.map(([, key]) => key);
