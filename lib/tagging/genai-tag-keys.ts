import type { TagKeyName } from '../../shared/contract';
import type { MatchesContract } from '../private/matches-contract';

/**
 * The nine keys of the GenAI tag schema.
 *
 * The key strings are the ones that appear in the bill (Cost Explorer, CUR 2.0 `resource_tags`),
 * so they never change once a team has activated them as cost allocation tags.
 */
export enum GenAiTagKey {
  /** production, staging or development: separates proof-of-concept spend from production. */
  ENVIRONMENT = 'Environment',
  /** The AI product, e.g. customer-chatbot. */
  APPLICATION = 'Application',
  /** The feature inside the product, e.g. document-qa. */
  FEATURE = 'Feature',
  /** The team charged back for the spend. */
  TEAM = 'Team',
  /** Financial reporting line, e.g. r-and-d. */
  COST_CENTER = 'CostCenter',
  /** anthropic, amazon, meta, ... */
  MODEL_PROVIDER = 'ModelProvider',
  /** The model, e.g. claude-3-haiku. */
  MODEL = 'Model',
  /** realtime, batch or async. */
  INFERENCE_TYPE = 'InferenceType',
  /** The tenant, e.g. customer-123, internal or demo. */
  CUSTOMER = 'Customer',
}

// The enum's values are the contract's tag keys, no more and no fewer: adding a key to one and not the other fails
// compilation here. (jsii needs literal enum values, so the enum cannot be built from the contract's list.)
true satisfies MatchesContract<`${GenAiTagKey}`, TagKeyName>;
