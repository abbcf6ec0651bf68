import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as library from '../../lib';
import { readBreakerHandlerConfig } from '../../lambda/breaker/config';
import { resolveIntrinsics } from '../support/intrinsics';

// The README's guardrail snippets, taken from the README as a reader copies them, run in a stack and synthesized:
// they must synthesize without a genai-finops warning and wire what they say they wire.

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The first ```ts block after the heading line `heading`. */
function snippetUnder(heading: string): string {
  const start = README.split('\n').findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`README has no heading ${heading}`);
  const rest = README.split('\n').slice(start + 1).join('\n');
  const match = rest.match(/```ts\n([\s\S]*?)\n```/);
  if (!match) throw new Error(`README has no ts block under ${heading}`);
  return match[1];
}

/**
 * Runs a snippet the way a reader's app would: in a stack (`stack`) of an app tagged Application=customer-support,
 * Environment=production under an enforced GenAiTagPolicy, with `genai-finops-constructs` resolving to this library;
 * type errors fail.
 */
function runSnippet(heading: string): { app: App; stack: Stack } {
  const source = snippetUnder(heading);
  expect({ heading, errors: typeErrors.get(heading) }).toEqual({ heading, errors: [] });
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'genai-readme-')) });
  library.GenAiTags.apply(app, { environment: 'production', application: 'customer-support', team: 'support', costCenter: 'operations' });
  // A reader who copies the snippet next to the minimal example also enforces the tag policy.
  library.GenAiTagPolicy.enforce(app);
  const stack = new Stack(app, 'Readme', { env: { region: 'us-east-1' } });
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const load = (id: string) => (id === 'genai-finops-constructs' ? library : require(id));
  new Function('require', 'exports', 'stack', js)(load, {}, stack);
  return { app, stack };
}

const HEADINGS = ['### Circuit breaker', '### Budgets, alerts and the edge rate limit', '### Observability: dashboard, alarms, cost anomalies'];
/** Type errors of each snippet, with `stack` declared, compiled together against the library's sources. */
const typeErrors = new Map<string, string[]>();

beforeAll(() => {
  const root = path.join(__dirname, '..', '..');
  const files = new Map(HEADINGS.map((h, i) => [path.join(root, 'test', 'readme', `__snippet${i}__.ts`),
    { heading: h, text: `import type { Stack } from 'aws-cdk-lib';\ndeclare const stack: Stack;\n${snippetUnder(h)}\nexport {};\n` }]));
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true, skipLibCheck: true, types: ['node'], baseUrl: root, paths: { 'genai-finops-constructs': ['lib/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => files.get(path.resolve(name))?.text ?? readFile(name);
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(path.resolve(name)) || exists(name);
  const program = ts.createProgram([...files.keys()], options, host);
  for (const [file, { heading }] of files) {
    typeErrors.set(heading, ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')));
  }
}, 300_000);

function genAiWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('genai-finops:')).map((w) => String(w.entry.data));
}

function breakerConfig(stack: Stack) {
  const template = Template.fromStack(stack);
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('circuit breaker') } })) as any[];
  return readBreakerHandlerConfig(resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>);
}

describe('the README guardrail snippets, as written', () => {
  test('the circuit breaker snippet synthesizes with no warning and wires its budgets and alarms to the breaker', () => {
    const { stack } = runSnippet('### Circuit breaker');

    expect(genAiWarnings(stack)).toEqual([]);
    const config = breakerConfig(stack);
    expect(config.budgets).toEqual([
      { name: 'customer-support-production', features: ['*'], period: 'month' },
      { name: 'customer-support-feature-ticket-attachments', features: ['ticket-attachments'], period: 'month' },
    ]);
    // Hourly and anomaly alarms of both workflows, the total, and the tripOnSpend alarm.
    expect(config.alarms.map((a) => a.features.join(',')).sort()).toEqual(['*', 'support-chat', 'support-chat', 'ticket-attachments', 'ticket-attachments', 'ticket-attachments']);
  });

  test('the budgets snippet synthesizes with no warning', () => {
    const { stack } = runSnippet('### Budgets, alerts and the edge rate limit');

    expect(genAiWarnings(stack)).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::Budgets::Budget', 4);
  });

  test('the observability snippet synthesizes with no warning; its alarms watch every model the workflow routes to', () => {
    const { stack } = runSnippet('### Observability: dashboard, alarms, cost anomalies');

    expect(genAiWarnings(stack)).toEqual([]);
    const spend = JSON.stringify(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmDescription: Match.stringLikeRegexp('spent more than') } }));
    for (const model of ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5']) expect(spend).toContain(model);
  });
});
