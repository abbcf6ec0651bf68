import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from '../../bin/example-app';
import { evaluateAccess } from '../../lib/finops-checks/policy-evaluator';
import { alarmsThatAct, environmentOf, identityPoliciesOf } from '../../lib/finops-checks/signal-paths';
import { templateResolver } from '../../lib/finops-checks/template-resolver';
import { expectSignalPathsHold, simulate } from '../support/policy-simulator';
import { expectTableAccessHolds } from '../support/table-access';

/**
 * The example app's signal paths, put to an IAM policy simulator as AWS would evaluate them once deployed: every
 * path the guardrails rely on is allowed, every request that must be refused is refused, and the library's own
 * evaluator (the rule pack's and `assess`'s) decides each request as the simulator does.
 */
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-example-paths-'));
const assembly = buildExampleApp(new App({ outdir })).synth();
const workflows = assembly.getStackByName('CustomerSupportGenAi').template;
const costReporting = assembly.getStackByName('CustomerSupportCostReporting').template;

describe('the example app\'s signal paths, evaluated by an IAM policy simulator', () => {
  test('alarms, budgets, the budget action and cost anomalies reach their topics and keys; the topics reach the breaker', async () => {
    const simulated = await expectSignalPathsHold(workflows, ['alarm → topic', 'budget → topic', 'cost anomaly subscription → topic', 'topic → function', 'budget action → deny policy']);
    const alarms = Object.values(workflows.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').length;
    const published = new Set(simulated.filter(({ check, decision }) => check.request.action === 'sns:Publish' && check.path === 'alarm → topic' && decision === 'Allowed').map(({ check }) => check.source));
    expect(published.size).toBe(alarms);
    expect(alarms).toBeGreaterThanOrEqual(20);
  });

  test('Data Exports may write the CUR to its bucket, for this account\'s exports only and over TLS', async () => {
    await expectSignalPathsHold(costReporting, ['data export → bucket']);
  });

  test('every spend alarm of the example acts: its notifications reach the breaker, which maps it', () => {
    const acting = alarmsThatAct(workflows);
    const spendAlarms = Object.entries(workflows.Resources as Record<string, any>)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties).includes('CostUSD') && JSON.stringify(r.Properties.AlarmActions ?? []).includes('Breaker') === false)
      .map(([id]) => id);
    const breaker = Object.keys(workflows.Resources).find((id) => id.startsWith('GuardrailsBreakerHandler') && workflows.Resources[id].Type === 'AWS::Lambda::Function')!;
    const viaSpendTopic = spendAlarms.filter((id) => JSON.stringify(workflows.Resources[id].Properties.AlarmActions).includes('SpendTopic'));
    expect(viaSpendTopic.length).toBeGreaterThan(0);
    for (const id of viaSpendTopic) expect({ id, functions: acting.get(id) }).toEqual({ id, functions: [breaker] });
  });
});

describe('the example app\'s functions and their tables (identity policies), evaluated by an IAM policy simulator', () => {
  const r = templateResolver(workflows, environmentOf(workflows));
  const idOf = (prefix: string, type: string) => Object.keys(workflows.Resources).find((id) => id.startsWith(prefix) && workflows.Resources[id].Type === type)!;
  const roleOf = (fn: string) => r.logicalIdOf(workflows.Resources[fn].Properties.Role)!;
  const tables = {
    breaker: idOf('GuardrailsBreakerTable', 'AWS::DynamoDB::Table'), ledger: idOf('GuardrailsUsageLedger', 'AWS::DynamoDB::Table'),
    responseCache: idOf('ChatResponseCache', 'AWS::DynamoDB::Table'), results: idOf('DocumentsResults', 'AWS::DynamoDB::Table'),
  };
  type Table = keyof typeof tables;
  const functions = {
    breaker: idOf('GuardrailsBreakerHandler', 'AWS::Lambda::Function'), chat: idOf('ChatHandler', 'AWS::Lambda::Function'),
    documents: idOf('DocumentsHandler', 'AWS::Lambda::Function'), nightly: idOf('NightlyHandler', 'AWS::Lambda::Function'),
  };
  const READ_BREAKER: Array<[Table, string]> = [['breaker', 'dynamodb:BatchGetItem'], ['breaker', 'dynamodb:GetItem']];
  const SPEND_LEDGER: Array<[Table, string]> = [['ledger', 'dynamodb:UpdateItem']];
  const allowed: Record<keyof typeof functions, Array<[Table, string]>> = {
    breaker: [['breaker', 'dynamodb:UpdateItem'], ['breaker', 'dynamodb:PutItem']],
    chat: [...READ_BREAKER, ...SPEND_LEDGER, ['responseCache', 'dynamodb:GetItem'], ['responseCache', 'dynamodb:PutItem']],
    // The example sets usage limits on the chat workflow only: the others get no access to the ledger.
    documents: [...READ_BREAKER, ['results', 'dynamodb:PutItem'], ['results', 'dynamodb:UpdateItem'], ['results', 'dynamodb:DeleteItem']],
    nightly: [...READ_BREAKER],
  };
  const denied: Record<keyof typeof functions, Array<[Table, string]>> = {
    breaker: [['ledger', 'dynamodb:UpdateItem'], ['breaker', 'dynamodb:DeleteItem']],
    chat: [['breaker', 'dynamodb:UpdateItem'], ['results', 'dynamodb:PutItem'], ['ledger', 'dynamodb:DeleteItem']],
    documents: [['breaker', 'dynamodb:PutItem'], ['responseCache', 'dynamodb:PutItem'], ['ledger', 'dynamodb:UpdateItem']],
    nightly: [['breaker', 'dynamodb:UpdateItem'], ['results', 'dynamodb:PutItem'], ['ledger', 'dynamodb:UpdateItem']],
  };

  test('each function may make the calls its runtime makes on the tables its environment names, and touch no other table', async () => {
    await expectTableAccessHolds(workflows);
  });

  test.each(Object.keys(functions) as Array<keyof typeof functions>)('the %s function may do what its stages need on its tables, and nothing else asked', async (fn) => {
    const role = roleOf(functions[fn]);
    const identityPolicies = identityPoliciesOf(r, workflows, role);
    const decide = async ([table, action]: [Table, string]) => {
      const request = { principal: r.refOf(role, 'Arn'), action, resource: r.refOf(tables[table], 'Arn'), resourceAccount: r.env.account, context: { 'aws:SecureTransport': 'true' } };
      const decision = await simulate(request, { identityPolicies });
      expect(evaluateAccess(request, { identityPolicies })).toBe(decision);
      return `${action} on ${table}: ${decision}`;
    };
    const allows = await Promise.all(allowed[fn].map(decide));
    const denies = await Promise.all(denied[fn].map(decide));
    expect(allows).toEqual(allowed[fn].map(([table, action]) => `${action} on ${table}: Allowed`));
    expect(denies).toEqual(denied[fn].map(([table, action]) => `${action} on ${table}: ImplicitlyDenied`));
  });
});
