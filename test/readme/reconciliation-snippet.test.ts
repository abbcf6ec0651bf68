import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as library from '../../lib';

// The README's reconciliation snippet as a reader copies it: type-checked against the library's sources, then run in
// a us-east-1 stack and synthesized.

const HEADING = '### Meter ↔ bill reconciliation: `MeterArchive`, `MeterTable`, `MeterReconciliation`, `genai-finops reconcile`';
const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

function snippet(): string {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADING);
  if (start < 0) throw new Error(`README has no heading ${HEADING}`);
  const match = lines.slice(start + 1).join('\n').match(/```ts\n([\s\S]*?)\n```/);
  if (!match) throw new Error(`README has no ts block under ${HEADING}`);
  return match[1];
}

test('the reconciliation snippet type-checks against the library', () => {
  const root = path.join(__dirname, '..', '..');
  const file = path.join(root, 'test', 'readme', '__reconciliation_snippet__.ts');
  const text = `import type { Stack } from 'aws-cdk-lib';\ndeclare const stack: Stack;\n${snippet()}\nexport {};\n`;
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true, skipLibCheck: true, types: ['node'], baseUrl: root, paths: { 'genai-finops-constructs': ['lib/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? text : readFile(name));
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || exists(name);
  const program = ts.createProgram([file], options, host);
  const errors = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(errors).toEqual([]);
}, 300_000);

test('the reconciliation snippet synthesizes the archive, the meter table and the daily reconciliation, with no warning', () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'genai-readme-')) });
  library.GenAiTags.apply(app, { environment: 'production', application: 'customer-support', team: 'support', costCenter: 'operations' });
  // A reader who copies the snippet next to the minimal example also enforces the tag policy.
  library.GenAiTagPolicy.enforce(app);
  const stack = new Stack(app, 'Readme', { env: { account: '111122223333', region: 'us-east-1' } });
  const js = ts.transpileModule(snippet(), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  new Function('require', 'exports', 'stack', js)((id: string) => (id === 'genai-finops-constructs' ? library : require(id)), {}, stack);

  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Logs::SubscriptionFilter', 1);
  template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
  template.hasResourceProperties('AWS::Glue::Table', { TableInput: Match.objectLike({ Name: 'meter' }) });
  expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'GenAI/FinOps/Reconciliation' } }))).toHaveLength(2);
  template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'finops@example.com' });
  expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('genai-finops:')).map((w) => String(w.entry.data))).toEqual([]);
});
