import { Lazy, TagManager } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ALL_GENAI_TAG_KEYS } from '../tagging/tag-rules';

/**
 * The GenAI tags a resource ends up with, as a JSON object for an environment variable.
 *
 * Lazy because tags set with `Tags.of` on enclosing scopes (the app, the stack) are applied by an aspect after
 * the function is constructed; reading them at synthesis gives the same values the bill will show.
 */
export function genAiTagsEnvironmentValue(resource: () => IConstruct): string {
  return Lazy.string({
    produce: () => {
      const tagged = resource().node.defaultChild ?? resource();
      const values = TagManager.of(tagged)?.tagValues() ?? {};
      const genAiTags: Record<string, string> = {};
      for (const key of ALL_GENAI_TAG_KEYS) {
        if (values[key] !== undefined) genAiTags[key] = values[key];
      }
      return JSON.stringify(genAiTags);
    },
  });
}
