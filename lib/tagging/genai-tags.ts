import { Tags, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { GenAiTagKey } from './genai-tag-keys';
import { exampleFor, scopeName } from './tag-messages';
import { ALLOWED_INFERENCE_TYPES, FIELD_TO_KEY } from './tag-rules';
import { checkProps } from '../private/prop-check';
import { GENAI_TAG_VALUE_KINDS } from './tag-value-kinds';

/**
 * Values for the GenAI tag schema. Every field is optional so that each scope sets what it owns:
 * the app sets Environment and Application, a workflow sets Feature and InferenceType, an inference
 * profile sets ModelProvider and Model.
 */
export interface GenAiTagValues {
  /** @default - inherited from an enclosing scope */
  readonly environment?: string;
  /** @default - inherited from an enclosing scope */
  readonly application?: string;
  /** @default - inherited from an enclosing scope */
  readonly feature?: string;
  /** @default - inherited from an enclosing scope */
  readonly team?: string;
  /** @default - inherited from an enclosing scope */
  readonly costCenter?: string;
  /** @default - inherited from an enclosing scope */
  readonly modelProvider?: string;
  /** @default - inherited from an enclosing scope */
  readonly model?: string;
  /** realtime, batch or async. @default - inherited from an enclosing scope */
  readonly inferenceType?: string;
  /** @default - inherited from an enclosing scope */
  readonly customer?: string;
}

// What GenAiTags.apply set on each scope, so that valuesAt can answer before the tag aspects run.
const APPLIED = new WeakMap<IConstruct, GenAiTagValues>();

// Tag values the AWS APIs accept: letters, numbers, spaces and _ . : / = + - @, at most 256 characters.
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAG_VALUE_LENGTH = 256;


/**
 * Applies GenAI tags to a scope: every taggable resource below it gets them, exactly like `Tags.of(scope).add`.
 */
export class GenAiTags {
  /**
   * Tag every taggable resource under `scope` with the given values.
   *
   * Values set on a deeper scope win over values set on an enclosing one, so a workflow's Feature
   * overrides an app-wide default.
   *
   * @throws if a value is empty, too long, has characters AWS tags do not accept, or is not an allowed InferenceType.
   */
  public static apply(scope: IConstruct, values: GenAiTagValues): void {
    checkProps(scope, 'GenAiTagValues', values, GENAI_TAG_VALUE_KINDS);
    for (const [key, value] of validatedEntries(scope, values)) {
      Tags.of(scope).add(key, value);
    }
    APPLIED.set(scope, { ...APPLIED.get(scope), ...values });
  }

  /**
   * The GenAI tag values applied with {@link GenAiTags.apply} to `scope` and its enclosing scopes, the deeper scope
   * winning, as they will be at synthesis. Known at construction time (tags themselves are applied by an aspect
   * later), for what must be literal then, such as metric dimensions; tags added by other means are not seen.
   */
  public static valuesAt(scope: IConstruct): GenAiTagValues {
    let values: GenAiTagValues = {};
    for (const s of scope.node.scopes) values = { ...values, ...APPLIED.get(s) };
    return values;
  }

}

/** The values as `[tag key, value]` pairs, validated, skipping the fields that are not set. */
function validatedEntries(scope: IConstruct, values: GenAiTagValues): Array<[GenAiTagKey, string]> {
  const entries: Array<[GenAiTagKey, string]> = [];
  for (const [field, key] of FIELD_TO_KEY) {
    const value = values[field];
    if (value === undefined) continue;
    assertValidTagValue(scope, field, key, value);
    entries.push([key, value]);
  }
  return entries;
}

function assertValidTagValue(scope: IConstruct, field: string, key: GenAiTagKey, value: string): void {
  if (Token.isUnresolved(value)) return;
  const where = `GenAI tags at ${scopeName(scope)}`;
  if (value.trim() === '') {
    throw new Error(`${where}: '${field}' (tag ${key}) is empty. Fix: give it a value such as ${exampleFor(key)}, or leave it out to inherit it from an enclosing scope.`);
  }
  if (value.length > MAX_TAG_VALUE_LENGTH) {
    throw new Error(`${where}: '${field}' (tag ${key}) is ${value.length} characters long; AWS accepts at most ${MAX_TAG_VALUE_LENGTH}. Fix: shorten it.`);
  }
  if (!TAG_VALUE_PATTERN.test(value)) {
    throw new Error(`${where}: '${field}' (tag ${key}) is '${value}', which has characters AWS tags do not accept. Fix: use only letters, numbers, spaces and _ . : / = + - @.`);
  }
  if (key === GenAiTagKey.INFERENCE_TYPE && !ALLOWED_INFERENCE_TYPES.includes(value)) {
    throw new Error(`${where}: 'inferenceType' is '${value}'. Fix: use one of ${ALLOWED_INFERENCE_TYPES.join(', ')}.`);
  }
}
