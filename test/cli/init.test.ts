import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { initCommand } from '../../bin/cli/init';
import { UsageError } from '../../shared/cli/args';
import { CodeBlock, removeOutdirs, ROOT, runBlock, typeCheck } from '../docs/code-blocks';

afterAll(removeOutdirs);

// `genai-finops init` as a newcomer runs it: the scaffold is written into a fresh folder, and its bin/app.ts is then
// type-checked and synthesized against this repository's library (the package name mapped to lib/), as `cdk synth`
// would run it once `npm install` has put the library in place.

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'genai-init-'));
}

async function init(argv: string[], npmInstall?: (dir: string) => number) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await initCommand(argv, async (text) => void stdout.push(text), (line) => void stderr.push(line), { packageRoot: ROOT, npmInstall });
  return { code, stdout: stdout.join(''), stderr: stderr.join('\n') };
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('genai-finops init', () => {
  test('scaffolds a CDK app whose bin/app.ts compiles and synthesizes a tagged ApiWorkflow, the tag policy and a budget', async () => {
    const dir = path.join(tempDir(), 'support-bot');

    const result = await init([dir]);

    expect(result.code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['.gitignore', 'README.md', 'bin', 'cdk.json', 'package.json', 'tsconfig.json']);
    expect(readJson(path.join(dir, 'cdk.json')).app).toBe('npx tsx bin/app.ts');
    expect(result.stdout).toContain('npm install');
    const app: CodeBlock = { file: path.join(path.basename(dir), 'bin/app.ts'), line: 1, heading: 'genai-finops init', source: fs.readFileSync(path.join(dir, 'bin', 'app.ts'), 'utf8'), wholeProgram: true };
    expect(typeCheck([app]).get(app)).toEqual([]);
    const run = runBlock(app);
    expect(run.errors).toEqual([]);
    expect(run.warnings).toEqual([]);
    const template = Template.fromStack(run.apps[0].node.findChild('SupportBot') as Stack);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 3);
    template.hasResourceProperties('AWS::Budgets::Budget', { Budget: { BudgetName: 'support-bot-development' } });
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function')).filter((f: any) => JSON.stringify(f.Properties.Description ?? '').includes('GenAI api workflow')) as any[];
    expect(fn.Properties.Tags).toEqual(expect.arrayContaining([
      { Key: 'Application', Value: 'support-bot' },
      { Key: 'Environment', Value: 'development' },
      { Key: 'Feature', Value: 'chat' },
    ]));
  }, 180_000);

  test('package.json asks for the registry version by default and for the tarball given with --from', async () => {
    const parent = tempDir();
    const tarball = path.join(parent, 'genai-finops-constructs-0.1.0.tgz');
    fs.writeFileSync(tarball, '');
    const version = readJson(path.join(ROOT, 'package.json')).version;

    await init([path.join(parent, 'from-registry')]);
    await init([path.join(parent, 'from-tarball'), '--from', tarball]);

    const registry = readJson(path.join(parent, 'from-registry', 'package.json'));
    expect(registry.dependencies['genai-finops-constructs']).toBe(`^${version}`);
    expect(Object.keys(registry.devDependencies).sort()).toEqual(['@types/node', 'aws-cdk', 'tsx', 'typescript']);
    expect(registry.devDependencies.typescript).toBe('~5.9');
    expect(readJson(path.join(parent, 'from-tarball', 'package.json')).dependencies['genai-finops-constructs']).toBe('file:../genai-finops-constructs-0.1.0.tgz');
  });

  test('fails when the folder is not empty, naming it and the fix, and writes nothing', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');

    await expect(init([dir])).rejects.toThrow(new RegExp(`'${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not empty \\(notes\\.txt\\)\\. Fix: name a new or empty folder`));
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });

  test('fails when --from names no tarball, or a folder that is not a packed clone', async () => {
    const parent = tempDir();

    await expect(init([path.join(parent, 'a'), '--from', path.join(parent, 'missing.tgz')])).rejects.toThrow(/does not exist .*Fix: pack the library/);
    await expect(init([path.join(parent, 'b'), '--from', ROOT + path.sep + 'README.md'])).rejects.toThrow(/is not a \.tgz/);
    const clone = path.join(parent, 'clone');
    fs.mkdirSync(clone);
    fs.writeFileSync(path.join(clone, 'package.json'), JSON.stringify({ name: 'genai-finops-constructs' }));
    await expect(init([path.join(parent, 'c'), '--from', clone])).rejects.toThrow(/has no genai-finops-constructs-.*\.tgz\. Fix: run npm ci && npm pack/);
    await expect(init([path.join(parent, 'c'), '--from', clone])).rejects.toBeInstanceOf(UsageError);
    expect(fs.existsSync(path.join(parent, 'c'))).toBe(false);
  });

  test('runs npm install in the new app only with --install, and fails when it fails', async () => {
    const installs: string[] = [];
    const parent = tempDir();

    const plain = await init([path.join(parent, 'plain')], (dir) => installs.push(dir));
    const installed = await init([path.join(parent, 'installed'), '--install'], (dir) => (installs.push(dir), 0));
    const failed = await init([path.join(parent, 'failed'), '--install'], () => 1);

    expect(plain.code).toBe(0);
    expect(installs).toEqual([path.join(parent, 'installed')]);
    expect(installed.code).toBe(0);
    expect(installed.stdout).not.toContain('npm install');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('npm install failed (exit 1)');
  });
});
