import { GenAiTagKey } from './genai-tag-keys';
import { FIELD_TO_KEY } from './tag-rules';

/** An example value for a key, used in error messages so the fix can be copied. */
export function exampleFor(key: GenAiTagKey): string {
  switch (key) {
    case GenAiTagKey.ENVIRONMENT: return "'production'";
    case GenAiTagKey.APPLICATION: return "'customer-chatbot'";
    case GenAiTagKey.FEATURE: return "'document-qa'";
    case GenAiTagKey.TEAM: return "'support'";
    case GenAiTagKey.COST_CENTER: return "'operations'";
    case GenAiTagKey.MODEL_PROVIDER: return "'anthropic'";
    case GenAiTagKey.MODEL: return "'claude-haiku-4-5'";
    case GenAiTagKey.INFERENCE_TYPE: return "'realtime'";
    case GenAiTagKey.CUSTOMER: return "'internal'";
  }
}

/** The camelCase prop field for a tag key, for error messages that point at props. */
export function fieldFor(key: GenAiTagKey): string {
  return FIELD_TO_KEY.find(([, k]) => k === key)![0];
}
