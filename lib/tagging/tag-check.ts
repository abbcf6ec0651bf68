import { IConstruct } from 'constructs';
import { GenAiTagPolicy } from './genai-tag-policy';

/**
 * Have one of the library's constructs checked at synth against the default GenAI tag policy, unless an enclosing
 * scope enforces a policy (then that policy reports, once). Looked up at validation time, so `enforce` may come later.
 */
export function checkGenAiTags(scope: IConstruct): void {
  scope.node.addValidation({
    validate: () => (GenAiTagPolicy.enforcedAbove(scope) ? [] : new GenAiTagPolicy().validate(scope)),
  });
}
