#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GenAiFinOpsChecks, GenAiTagPolicy, GenAiTags } from '../lib';
import { CostReportingStack, CustomerSupportStack, EXAMPLE_APPLICATION, EXAMPLE_ENVIRONMENT } from './customer-support-stack';

/**
 * Builds the example app: the env-agnostic workflows stack and the us-east-1 cost-reporting stack, the GenAI tag
 * policy enforced, cdk-nag and the library's own FinOps rule pack checking both.
 */
export function buildExampleApp(app: App = new App()): App {
  GenAiTags.apply(app, { environment: EXAMPLE_ENVIRONMENT, application: EXAMPLE_APPLICATION });
  GenAiTagPolicy.enforce(app);
  const workflows = new CustomerSupportStack(app, 'CustomerSupportGenAi', {
    description: 'Customer-support GenAI workflows (genai-finops-constructs example)',
  });
  const costs = new CostReportingStack(app, 'CustomerSupportCostReporting', {
    description: 'CUR 2.0, Glue and Athena, meter reconciliation and tenant statements for the customer-support GenAI workflows (genai-finops-constructs example)',
  });
  // The meter table reads the archive bucket the workflows stack creates (by name, across Regions): deploy it first.
  costs.addStackDependency(workflows, 'the meter archive bucket the cost-reporting stack reads by name');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new GenAiFinOpsChecks());
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
