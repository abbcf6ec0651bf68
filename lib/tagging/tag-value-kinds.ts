import { PropKinds } from '../private/prop-check';
import type { GenAiTagValues } from './genai-tags';

/** The known keys of {@link GenAiTagValues}, for the props checks of the constructs that take `tags`. */
export const GENAI_TAG_VALUE_KINDS = {
  environment: 'string',
  application: 'string',
  feature: 'string',
  team: 'string',
  costCenter: 'string',
  modelProvider: 'string',
  model: 'string',
  inferenceType: 'string',
  customer: 'string',
} as const satisfies PropKinds<GenAiTagValues>;
