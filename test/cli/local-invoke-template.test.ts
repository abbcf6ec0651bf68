import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { ApiWorkflow, CircuitBreaker, GenAiTags, ScheduledWorkflow, UsageLedger, UsageScope, UsageWindow } from '../../lib';
import { readTemplateFile, templateFunctions } from '../../packages/local/src/template';
import { CliRun, eventFile, REPO_ROOT, runCli } from './run-cli';

// `npx cdk synth` then `genai-finops local invoke <FunctionLogicalId> --template cdk.out/<Stack>.template.json`: a
// stack of the library's constructs synthesized as the CDK CLI does (assets staged beside the template, construct
// paths in the metadata), each function run from it against the local services.
const LEDGER_NAME = 'team-usage-ledger';
const HOURLY_REQUESTS = 7;

let outdir: string;
let templateFile: string;
let ids: { api: string; scheduled: string; breaker: string; ledgerTable: string; inputBucket: string };
const runs: Record<string, CliRun> = {};

beforeAll(async () => {
  outdir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-template-invoke-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  GenAiTags.apply(app, { environment: 'development', application: 'template-invoke' });
  const stack = new Stack(app, 'TemplateInvoke');
  GenAiTags.apply(stack, { team: 'platform', costCenter: 'r-and-d' });
  const breaker = new CircuitBreaker(stack, 'Breaker', { budgets: [{ budgetName: 'genai-monthly-total', features: ['*'] }] });
  const ledger = new UsageLedger(stack, 'Ledger');
  // A table the template names: its Ref is that name, not its logical id.
  (ledger.table.node.defaultChild as CfnTable).tableName = LEDGER_NAME;
  const api = new ApiWorkflow(stack, 'Chat', {
    tags: { feature: 'support-chat' },
    usageLedger: ledger,
    usageLimits: [{ scope: UsageScope.USER, window: UsageWindow.HOUR, maxRequests: HOURLY_REQUESTS }],
    circuitBreaker: breaker,
  });
  const nightly = new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'digest' }, circuitBreaker: breaker });
  const assembly = app.synth();
  templateFile = assembly.getStackByName('TemplateInvoke').templateFullPath;
  const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnTable);
  ids = {
    api: stack.getLogicalId(api.handler.node.defaultChild as CfnTable),
    scheduled: stack.getLogicalId(nightly.handler.node.defaultChild as CfnTable),
    breaker: stack.getLogicalId(breaker.handler.function.node.defaultChild as CfnTable),
    ledgerTable: logicalId(ledger.table),
    inputBucket: logicalId(nightly.inputBucket),
  };
  const notATemplate = path.join(outdir, 'event-not-template.json');
  writeFileSync(notATemplate, JSON.stringify({ Records: [] }));
  const invoke = (fn: string, event: string, template = templateFile) => runCli(['local', 'invoke', fn, '--template', template, '--event', eventFile(event)], 120_000);
  // One at a time: each run starts DynamoDB Local's JVM, and several at once on a shared 2-core machine starve it.
  runs.api1 = await invoke(ids.api, 'api-gateway-proxy');
  runs.scheduled = await invoke(ids.scheduled, 'eventbridge-scheduled');
  runs.breakerRun = await invoke(ids.breaker, 'sns-budgets-notification');
  runs.byPath = await invoke('Chat/Handler', 'api-gateway-proxy');
  // As the README writes it: a template path relative to where the command runs (`cdk.out/<Stack>.template.json`).
  runs.relative = await runCli(['local', 'invoke', ids.api, '--template', path.join(path.basename(outdir), path.basename(templateFile)), '--event', path.resolve(REPO_ROOT, eventFile('api-gateway-proxy'))],
    120_000, undefined, path.dirname(outdir));
  runs.wrongId = await invoke('ChatHandlr', 'api-gateway-proxy');
  runs.wrongFile = await invoke(ids.api, 'api-gateway-proxy', notATemplate);
}, 600_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function result(run: CliRun): any {
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout).not.toContain('"_aws"');
  return JSON.parse(run.stdout);
}

describe('genai-finops local invoke <FunctionLogicalId> --template', () => {
  test('the synthesized stack carries construct paths, as `cdk synth` writes them', () => {
    const functions = templateFunctions(readTemplateFile(templateFile));
    expect(functions.find((f) => f.logicalId === ids.api)?.constructPath).toBe('TemplateInvoke/Chat/Handler/Resource/Resource');
  });

  test('runs the API function with the template\'s environment: its usage limit, counted in the ledger table the template names', () => {
    const response = result(runs.api1);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ratelimit-limit']).toBe(String(HOURLY_REQUESTS));
    expect(response.headers['x-ratelimit-remaining']).toBe(String(HOURLY_REQUESTS - 1));
    expect(JSON.parse(response.body).cost.totalUsd).toBeGreaterThan(0);
    expect(runs.api1.stderr).toContain(`created table ${LEDGER_NAME}\n`);
    expect(runs.api1.stderr).toMatch(new RegExp('asset\\.[0-9a-f]{64}/index\\.js, export handler'));
  });

  test('takes a template path relative to the working folder, as `cdk.out/<Stack>.template.json` is written', () => {
    expect(result(runs.relative).statusCode).toBe(200);
  });

  test('finds the function by its construct path too', () => {
    expect(result(runs.byPath).statusCode).toBe(200);
    expect(runs.byPath.stderr).toContain(`${ids.api} (TemplateInvoke/Chat/Handler/Resource/Resource)`);
  });

  test('scheduled: the buckets its environment names are created (an unnamed bucket is its logical id, in lower case)', () => {
    const summary = result(runs.scheduled);
    expect(summary).toMatchObject({ day: '2026-11-27', records: 0, processed: 0 });
    expect(runs.scheduled.stderr).toContain(`created bucket ${ids.inputBucket.toLowerCase()}\n`);
  });

  test('breaker: the budget the construct maps trips every feature, in the state table the template gives it', () => {
    const decision = result(runs.breakerRun);
    expect(decision.tripped).toEqual(['*']);
  });

  test('a wrong function id is a usage error that lists the functions there are', () => {
    expect(runs.wrongId.code).toBe(2);
    expect(runs.wrongId.stdout).toBe('');
    expect(runs.wrongId.stderr).toContain('has no function \'ChatHandlr\'');
    for (const id of [ids.api, ids.scheduled, ids.breaker]) expect(runs.wrongId.stderr).toContain(id);
    expect(runs.wrongId.stderr).toContain('TemplateInvoke/Chat/Handler/Resource/Resource');
  });

  test('a file that is not a template is a usage error saying what a template is', () => {
    expect(runs.wrongFile.code).toBe(2);
    expect(runs.wrongFile.stderr).toMatch(/is not a CloudFormation template: it has no "Resources" object; expected a synthesized CloudFormation template such as cdk\.out\/<Stack>\.template\.json/);
  });

  test('--template and --workflow exclude each other; --template needs the function', async () => {
    const both = await runCli(['local', 'invoke', ids.api, '--template', templateFile, '--workflow', 'api', '--event', eventFile('api-gateway-proxy')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--workflow and --template exclude each other');
    const none = await runCli(['local', 'invoke', '--template', templateFile, '--event', eventFile('api-gateway-proxy')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('missing the function: local invoke <FunctionLogicalId>');
  });
});
