import { IConstruct } from 'constructs';
import { GenAiTagKey } from './genai-tag-keys';
import { FIELD_TO_KEY } from './tag-rules';

/** An example value for a key, used in error messages so the fix can be copied. */
export function exampleFor(key: GenAiTagKey): string {
  switch (key) {
    case GenAiTagKey.ENVIRONMENT: return "'production'";
    case GenAiTagKey.APPLICATION: return "'customer-chatbot'";
    // No sample name: a feature is the user's own, and a copied example would attribute spend to the wrong one.
    case GenAiTagKey.FEATURE: return "'<your feature>'";
    case GenAiTagKey.TEAM: return "'support'";
    case GenAiTagKey.COST_CENTER: return "'operations'";
    case GenAiTagKey.MODEL_PROVIDER: return "'anthropic'";
    case GenAiTagKey.MODEL: return "'claude-haiku-4-5'";
    case GenAiTagKey.INFERENCE_TYPE: return "'realtime'";
    case GenAiTagKey.CUSTOMER: return "'internal'";
  }
}

/** Constructs that take their GenAI tags in a prop (workflows: `tags`), so a fix message can point at it. */
const TAG_PROPS = new WeakMap<IConstruct, string>();

/** Records that `construct` takes its GenAI tags in the prop `prop`. */
export function declareTagProp(construct: IConstruct, prop: string): void {
  TAG_PROPS.set(construct, prop);
}

/** The prop `construct` takes its GenAI tags in, if it has one. */
export function tagPropOf(construct: IConstruct): string | undefined {
  return TAG_PROPS.get(construct);
}

/** The camelCase prop field for a tag key, for error messages that point at props. */
export function fieldFor(key: GenAiTagKey): string {
  return FIELD_TO_KEY.find(([, k]) => k === key)![0];
}

/** `SharedEmbeddings` → `shared-embeddings`, `DocQA` → `doc-qa`: a tag value derived from a construct id. */
export function kebabCase(id: string): string {
  const kebab = id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return kebab === '' ? 'default' : kebab;
}

/** How a message names a scope: `the app` for the root, else its path in quotes. */
export function scopeName(scope: IConstruct): string {
  return scope.node.path === '' ? 'the app' : `'${scope.node.path}'`;
}

/** A variable name for a construct in a copyable fix: `app` for the root, else its id in camelCase. */
export function variableNameFor(scope: IConstruct): string {
  if (scope.node.path === '') return 'app';
  const camel = kebabCase(scope.node.id).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return /^[0-9]/.test(camel) ? `construct${camel}` : camel;
}
