#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GenAiTagPolicy, GenAiTags } from '../lib';
import { CustomerSupportStack } from './customer-support-stack';

/** Builds the example app: one env-agnostic stack, the GenAI tag policy enforced, cdk-nag checks on. */
export function buildExampleApp(app: App = new App()): App {
  GenAiTags.apply(app, { environment: 'development', application: 'customer-support-genai' });
  GenAiTagPolicy.enforce(app);
  new CustomerSupportStack(app, 'CustomerSupportGenAi', {
    description: 'Customer-support GenAI workflows (genai-finops-constructs example)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
