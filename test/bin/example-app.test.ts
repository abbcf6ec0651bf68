import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp } from '../../bin/example-app';
import { assessMaturity } from '../../lib/finops-checks/maturity';
import { templateModel } from '../../lib/finops-checks/template-model';
import { taggableResources, tagKeys, tagValue } from '../support/test-app';

const REQUIRED = ['Environment', 'Application', 'Feature', 'Team', 'CostCenter'];

function synthExample() {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-example-'));
  const app = buildExampleApp(new App({ outdir }));
  const assembly = app.synth();
  const stack = app.node.findChild('CustomerSupportGenAi') as Stack;
  return { outdir, assembly, template: Template.fromJSON(assembly.getStackByName(stack.stackName).template) };
}

describe('example customer-support app', () => {
  const { outdir, template } = synthExample();

  test('synthesizes with zero findings from cdk-nag and aws-cdk-lib validation, warnings included', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const findings = (report.pluginReports ?? []).flatMap((p: any) => p.violations ?? []);
    expect(findings).toEqual([]);
  });

  test('every taggable resource carries the five required GenAI tags', () => {
    const resources = taggableResources(template);
    expect(resources.length).toBeGreaterThan(20);
    for (const [id, resource] of resources) {
      expect({ id, keys: tagKeys(resource) }).toEqual({ id, keys: expect.arrayContaining(REQUIRED) });
      expect(tagValue(resource, 'Environment')).toBe('production');
      expect(tagValue(resource, 'Application')).toBe('customer-support-genai');
    }
  });

  test('each routed model has its own application inference profile tagged with its feature and model', () => {
    const profiles = Object.values(template.findResources('AWS::Bedrock::ApplicationInferenceProfile'));
    expect(profiles.map((p) => `${tagValue(p, 'Feature')}:${tagValue(p, 'Model')}`).sort()).toEqual([
      'conversation-digest:nova-lite',
      'support-chat:claude-haiku-4-5', 'support-chat:claude-opus-4-5', 'support-chat:claude-sonnet-4-5',
      'ticket-attachments:nova-micro',
    ]);
  });

  test('needs no account: the stack is environment-agnostic', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/\b\d{12}\b/);
  });
});

describe('the example\'s meter archive, reconciliation and statements across its two stacks', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-example-meter-'));
  const app = buildExampleApp(new App({ outdir }));
  const assembly = app.synth();
  const templateOf = (id: string) => Template.fromJSON(assembly.getStackByName((app.node.findChild(id) as Stack).stackName).template);
  const workflows = templateOf('CustomerSupportGenAi');
  const costs = templateOf('CustomerSupportCostReporting');
  const bucketName = { 'Fn::Join': ['', ['customer-support-genai-meter-', { Ref: 'AWS::AccountId' }]] };

  test('the workflows stack archives the three workflows\' EMF records in its own Region, to a bucket named by account', () => {
    workflows.resourceCountIs('AWS::Logs::SubscriptionFilter', 3);
    workflows.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    workflows.hasResourceProperties('AWS::S3::Bucket', { BucketName: bucketName });
  });

  test('the us-east-1 stack reads that bucket by name: the meter table, the daily reconciliation and the statement view', () => {
    costs.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'meter', StorageDescriptor: Match.objectLike({ Location: { 'Fn::Join': ['', ['s3://customer-support-genai-meter-', { Ref: 'AWS::AccountId' }, '/meter/']] } }) }),
    });
    costs.hasResourceProperties('AWS::Glue::Table', { TableInput: Match.objectLike({ Name: 'tenant_statement', TableType: 'VIRTUAL_VIEW' }) });
    costs.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 7 * * ? *)' });
    expect(costs.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors', Namespace: 'AWS/Lambda' } })).not.toEqual({});
    const stack = app.node.findChild('CustomerSupportCostReporting') as Stack;
    expect(stack.region).toBe('us-east-1');
    // Deployed after the workflows stack, whose bucket it reads.
    expect(stack.dependencies.map((d) => d.node.id)).toContain('CustomerSupportGenAi');
  });
});

describe('the validation the example relies on', () => {
  test('aws-cdk-lib CloudFormation validation reports a template error, so zero findings means something', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-invalid-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Invalid');
    new CfnResource(stack, 'BadQueue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'not-a-number', NoSuchProperty: true } });
    app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const findings = report.pluginReports.flatMap((p: any) => p.violations);
    expect(findings.length).toBeGreaterThan(0);
    expect(JSON.stringify(findings)).toContain('BadQueue');
  });
});

describe('the example app as genai-finops assess sees it', () => {
  test('reaches FinOps maturity level 4 (Fly), with every control present and no rule-pack finding', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-example-assess-'));
    buildExampleApp(new App({ outdir })).synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const templates = Object.values(manifest.artifacts as Record<string, any>)
      .filter((a) => a.type === 'aws:cloudformation:stack')
      .map((a) => templateModel(JSON.parse(fs.readFileSync(path.join(outdir, a.properties.templateFile), 'utf8'))));

    const assessment = assessMaturity(templates);

    expect(assessment.controls.filter((c) => !c.present)).toEqual([]);
    expect(assessment.level).toBe(4);
    expect(assessment.findings).toEqual({});
  });
});
