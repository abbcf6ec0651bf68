import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ENV, UNTAGGED } from '../../shared/contract';
import { readPipelineConfig } from '../../lambda/pipeline/config';
import { ApiWorkflow } from '../../lib';
import { resolveIntrinsics } from '../support/intrinsics';

/*
 * A workflow whose function has no Application or Feature tag (an app that skips the tag policy): its dashboards and
 * alarms must watch the series its function writes, so both sides take the tag values from the contract's UNTAGGED.
 */
describe('an untagged workflow', () => {
  const stack = new Stack(new App(), 'Untagged');
  const workflow = new ApiWorkflow(stack, 'Workflow', {});
  const handler = stack.node.findAll().find((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction && c.node.path.startsWith('Untagged/Workflow/Handler'))!;
  const environment = resolveIntrinsics(stack.resolve(handler.environment).variables) as Record<string, string>;

  test('the runtime writes the untagged values', () => {
    expect(environment[ENV.tags] ?? '{}').not.toMatch(/Application|Feature/);

    const config = readPipelineConfig(environment);

    expect([config.application, config.defaultFeature, config.environment]).toEqual([UNTAGGED.application, UNTAGGED.feature, UNTAGGED.environment]);
  });

  test("the construct's metrics read the same values", () => {
    const monitored = workflow.monitored();

    expect([stack.resolve(monitored.application), stack.resolve(monitored.feature)]).toEqual([UNTAGGED.application, UNTAGGED.feature]);
  });
});
