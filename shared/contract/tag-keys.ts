/**
 * The keys of the GenAI tag schema, as they appear in the bill (Cost Explorer, CUR 2.0 `resource_tags`): the
 * constructs tag resources with them, the runtime passes them in Bedrock's request metadata and the cost queries
 * read them back. The public enum `GenAiTagKey` (lib/tagging) is checked against this list when it compiles.
 */
export const TAG_KEY = {
  environment: 'Environment',
  application: 'Application',
  feature: 'Feature',
  team: 'Team',
  costCenter: 'CostCenter',
  modelProvider: 'ModelProvider',
  model: 'Model',
  inferenceType: 'InferenceType',
  customer: 'Customer',
} as const;

/** One key of the GenAI tag schema. */
export type TagKeyName = (typeof TAG_KEY)[keyof typeof TAG_KEY];
