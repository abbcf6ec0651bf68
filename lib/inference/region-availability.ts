import { Annotations, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { checkModelAvailability, InvocationOption, InferenceGeography } from '../../shared/core';
import { BedrockModel, CrossRegionGeography } from './bedrock-model';

/**
 * Refuses, at synthesis, a model the stack's Region cannot serve (per `lambda/core/model-regions.ts`): an in-Region call
 * to a model offered only through profiles, a profile the model does not have, a profile called from outside its
 * geography, `global.` from GovCloud or China. The error names the construct path, the model, the Region and the
 * options that do work there (never the one refused). A Region-agnostic stack (token Region) is checked only for what
 * is wrong in every Region; a Region the data does not know, and an option only a third-party table leaves out, get a
 * warning when `warn` is set, not an error: Bedrock may have launched there since, or the table may have gaps.
 *
 * @param subject the prop that chose the model, e.g. `routing.simple` or `model`
 */
export function checkModelRegion(scope: IConstruct, model: BedrockModel, subject: string, warn: boolean): void {
  const stackRegion = Stack.of(scope).region;
  const region = Token.isUnresolved(stackRegion) ? undefined : stackRegion;
  const finding = checkModelAvailability(model.modelId, model.geography as InferenceGeography | undefined, region);
  if (!finding) return;
  const where = region ?? 'any Region (the stack is Region-agnostic)';
  if (finding.level === 'warning') {
    // A third-party table's silence, or a Region the data does not know: a deploy may still work, so it is not refused.
    const known = finding.options.length > 0 ? ` Options the data records for ${where}: ${finding.options.map((o) => optionCode(o, model.modelId)).join(', ')}.` : '';
    if (warn) Annotations.of(scope).addWarningV2('genai-finops:model-region-unchecked', `${scope.node.path}: ${subject}: ${finding.problem}. Check the model's card in the Bedrock user guide ("models at a glance").${known}`);
    return;
  }
  const fix = finding.options.length > 0
    ? finding.options.map((o) => optionCode(o, model.modelId)).join(', or ')
    : `no documented option serves ${where}: deploy the stack to a Region that does (${finding.elsewhere.join('; ') || 'see the model card'}), or route to another model`;
  throw new Error(`${scope.node.path}: ${subject} calls '${model.invocationId}' from ${where}, but ${finding.problem}; the deploy or the first call would fail. Fix: ${fix}.`);
}

function optionCode(option: InvocationOption, modelId: string): string {
  if (option.kind === 'in-region') return `BedrockModel.foundationModel('${modelId}')`;
  const key = (Object.keys(CrossRegionGeography) as Array<keyof typeof CrossRegionGeography>).find((k) => CrossRegionGeography[k] === option.geography);
  return `BedrockModel.crossRegion(CrossRegionGeography.${key}, '${modelId}')`;
}
