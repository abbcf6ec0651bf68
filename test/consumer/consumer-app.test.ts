import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableWithTrippedSupportChat, useDynamoDbLocal } from '../support/dynamodb-local';
import { interruptWhenReady } from '../support/interrupt';

/*
 * Proves "composing the constructs in other CDK apps" works for a user who installs the published package:
 * the packed tarball is installed into a fresh TypeScript CDK app outside this repository, which synthesizes
 * a stack using the three workflows with no esbuild anywhere it can resolve and a docker that always fails.
 */

const repo = path.resolve(__dirname, '..', '..');
// The lowest aws-cdk-lib the package accepts (the bottom of its peer range): the consumer app is built with it.
const LOWEST_AWS_CDK_LIB = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).peerDependencies['aws-cdk-lib'].replace(/^\^/, '');
const LOWEST_CONSTRUCTS = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).peerDependencies.constructs.replace(/^\^/, '');

const CONSUMER_APP = `
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ApiWorkflow, DocumentWorkflow, GenAiTagPolicy, GenAiTags, IResponseCache, ResponseCacheTable, ScheduledWorkflow } from 'genai-finops-constructs';

const app = new App();
GenAiTags.apply(app, { environment: 'production', application: 'consumer', team: 'platform', costCenter: 'r-and-d' });
GenAiTagPolicy.enforce(app);
const stack = new Stack(app, 'ConsumerStack');
// A response cache over a table the consumer already has, composed by interface.
const answers: IResponseCache = ResponseCacheTable.fromTable(stack, 'Answers', dynamodb.Table.fromTableName(stack, 'AnswersTable', 'existing-answers'));
new ApiWorkflow(stack, 'Api', { tags: { feature: 'chat' }, responseCache: answers });
new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'docs' } });
new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'nightly' } });
app.synth();
`;

/**
 * The lowest supported aws-cdk-lib and constructs, installed once per machine with npm into a cache folder outside
 * the repository (later runs reuse it and stay offline), so the peer range's lower bound is what the app builds with.
 */
function lowestPeers(): string {
  const cache = path.join(os.tmpdir(), `genai-finops-peers-aws-cdk-lib-${LOWEST_AWS_CDK_LIB}-constructs-${LOWEST_CONSTRUCTS}`);
  if (!fs.existsSync(path.join(cache, 'node_modules', 'aws-cdk-lib', 'package.json'))) {
    const staging = fs.mkdtempSync(`${cache}-`);
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ name: 'peers', private: true }));
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts',
      `aws-cdk-lib@${LOWEST_AWS_CDK_LIB}`, `constructs@${LOWEST_CONSTRUCTS}`], { cwd: staging, stdio: ['ignore', 'ignore', 'inherit'] });
    fs.rmSync(cache, { recursive: true, force: true });
    fs.renameSync(staging, cache);
  }
  return path.join(cache, 'node_modules');
}

/** The two packed tarballs, packed once for the whole file: the library, and the companion package of emulators. */
interface Packed {
  readonly work: string;
  readonly library: string;
  readonly companion: string;
}
let packedOnce: Packed | undefined;
function pack(): Packed {
  if (packedOnce) return packedOnce;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-consumer-'));
  const packOne = (...workspace: string[]) => path.join(work, execFileSync('npm', ['pack', '--silent', ...workspace, '--pack-destination', work],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!);
  packedOnce = { work, library: packOne(), companion: packOne('--workspace', 'packages/local') };
  return packedOnce;
}

describe('the packed library in a consumer CDK app', () => {
  let consumer: string;

  beforeAll(() => {
    const { work, library } = pack();

    consumer = path.join(work, 'app');
    const modules = path.join(consumer, 'node_modules');
    fs.mkdirSync(path.join(modules, 'genai-finops-constructs'), { recursive: true });
    // What `npm install <tarball>` does for a package without dependencies: unpack it into node_modules.
    execFileSync('tar', ['-xzf', library, '-C', path.join(modules, 'genai-finops-constructs'), '--strip-components=1']);
    // The consumer's own copies of the peer dependencies at the bottom of the range, and what they depend on.
    const peers = lowestPeers();
    for (const entry of fs.readdirSync(peers)) {
      if (entry.startsWith('.')) continue;
      fs.symlinkSync(path.join(peers, entry), path.join(modules, entry), 'dir');
    }

    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    fs.writeFileSync(path.join(consumer, 'app.ts'), CONSUMER_APP);
    fs.writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, types: [], skipLibCheck: true, preserveSymlinks: true },
      files: ['app.ts'],
    }));
    // A docker that always fails: bundling must not need it.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\necho "docker is not available" >&2\nexit 1\n', { mode: 0o755 });

    execFileSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { cwd: consumer, stdio: 'inherit' });
    execFileSync(process.execPath, ['app.js'], {
      cwd: consumer,
      stdio: 'inherit',
      env: {
        ...process.env,
        PATH: `${bin}${path.delimiter}${process.env.PATH}`,
        // Resolve from the consumer's node_modules, not from where the links point, so nothing of this repo leaks in.
        NODE_PRESERVE_SYMLINKS: '1',
        CDK_OUTDIR: path.join(consumer, 'cdk.out'),
      },
    });
  }, 240_000);

  test('the package ships compiled constructs and pre-bundled handlers, not the sources', () => {
    const installed = path.join(consumer, 'node_modules', 'genai-finops-constructs');
    expect(fs.existsSync(path.join(installed, 'dist', 'lib', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'dist', 'lib', 'index.d.ts'))).toBe(true);
    for (const handler of ['api', 'api-stream', 'document', 'scheduled', 'breaker', 'reconcile', 'notifier']) {
      expect(fs.statSync(path.join(installed, 'assets', 'handlers', handler, 'index.js')).size).toBeGreaterThan(10_000);
    }
    expect(fs.existsSync(path.join(installed, 'lambda'))).toBe(false);
    // The emulators come in the companion package, not here.
    expect(fs.existsSync(path.join(installed, 'dist', 'local', 'bedrock-simulator'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'dist', 'local', 'services'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'lib', 'index.ts'))).toBe(false);
    // The CLI is one bundle; nothing else of the repository's sources is compiled into the package.
    expect(fs.statSync(path.join(installed, 'dist', 'cli', 'main.js')).size).toBeGreaterThan(100_000);
    expect(fs.readdirSync(path.join(installed, 'dist')).sort()).toEqual(['cli', 'lib', 'shared']);
  });

  test('the app is built with the lowest aws-cdk-lib of the peer range', () => {
    const version = execFileSync(process.execPath, ['-p', "require('aws-cdk-lib/package.json').version"], { cwd: consumer, encoding: 'utf8', env: { ...process.env, NODE_PRESERVE_SYMLINKS: '1' } }).trim();
    expect(version).toBe(LOWEST_AWS_CDK_LIB);
  });

  test('the existing response-cache table is used through the interface: no table created, its name configured', () => {
    const template = JSON.parse(fs.readFileSync(path.join(consumer, 'cdk.out', 'ConsumerStack.template.json'), 'utf8'));
    const resources = Object.values(template.Resources as Record<string, any>);
    expect(resources.filter((r) => r.Type === 'AWS::DynamoDB::Table')).toHaveLength(1); // the document results table
    expect(resources.filter((r) => r.Type === 'AWS::ApiGateway::Account')).toHaveLength(1);
    const api = resources.find((r) => r.Type === 'AWS::Lambda::Function' && /GenAI api workflow/.test(r.Properties.Description));
    expect(JSON.stringify(api.Properties.Environment.Variables.GENAI_PIPELINE_CONFIG)).toContain('existing-answers');
  });

  test('the shipped snapshot serializer replaces asset hashes', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const serializer = require(path.join(consumer, 'node_modules', 'genai-finops-constructs', 'snapshot-serializer'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { format } = require('pretty-format');
    const template = JSON.parse(fs.readFileSync(path.join(consumer, 'cdk.out', 'ConsumerStack.template.json'), 'utf8'));
    const code = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::Lambda::Function').Properties.Code;
    expect(JSON.stringify(code)).toMatch(/[0-9a-f]{64}/);
    const printed = format(code, { plugins: [serializer] });
    expect(printed).toContain('[ASSET HASH]');
    expect(printed).not.toMatch(/[0-9a-f]{64}/);
  });

  test('esbuild cannot be resolved from the consumer app', () => {
    // Node's own resolution, run from the consumer folder (jest's require.resolve has its own module map).
    const probe = () => execFileSync(process.execPath, ['-e', "require.resolve('esbuild')"], { cwd: consumer, stdio: 'pipe', env: { ...process.env, NODE_PRESERVE_SYMLINKS: '1' } });
    expect(probe).toThrow(/Cannot find module 'esbuild'/);
  });

  test('the stack synthesizes with the three workflow handlers as bundled assets', () => {
    const out = path.join(consumer, 'cdk.out');
    const template = JSON.parse(fs.readFileSync(path.join(out, 'ConsumerStack.template.json'), 'utf8'));
    const functions = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
    for (const fn of functions) expect(fn.Properties.Runtime).toBe('nodejs24.x');
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'ConsumerStack.assets.json'), 'utf8'));
    const bundles = Object.values(manifest.files as Record<string, any>)
      .map((file) => path.join(out, file.source.path, 'index.js'))
      .filter((bundle) => fs.existsSync(bundle));
    expect(bundles).toHaveLength(3);
    for (const bundle of bundles) expect(fs.readFileSync(bundle, 'utf8')).toMatch(/exports|module\.exports/);
  });

  describe('the genai-finops CLI from the installed package', () => {
    // As `npx genai-finops` runs it: the package's bin script, from the consumer's folder, with only Node's own modules.
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(consumer, 'node_modules', 'genai-finops-constructs', 'bin', 'genai-finops.js'), ...args], {
      cwd: consumer, encoding: 'utf8', env: { ...process.env, NODE_PRESERVE_SYMLINKS: '1' },
    });

    test('--help and estimate work from the compiled commands, on a shipped example workload', () => {
      expect(cli('--help').status).toBe(0);
      const run = cli('estimate', path.join('node_modules', 'genai-finops-constructs', 'examples', 'workloads', 'customer-support.json'), '--json');

      expect(run.status).toBe(0);
      const estimate = JSON.parse(run.stdout);
      expect(estimate.optimized.perMonthUsd).toBeLessThan(estimate.baseline.perMonthUsd);
    });

    test('the article\'s workloads price from the install with the shipped article price file, as in the clone', () => {
      const args = ['estimate', 'examples/workloads/article-hello.json', '--prices', 'test/fixtures/article-prices.json', '--json'];
      const installed = cli(...args.map((a) => (a.includes('/') ? path.join('node_modules', 'genai-finops-constructs', a) : a)));
      const clone = spawnSync(process.execPath, [path.join(repo, 'bin', 'genai-finops.js'), ...args], { cwd: repo, encoding: 'utf8' });

      expect({ status: installed.status, stderr: installed.status === 0 ? '' : installed.stderr }).toEqual({ status: 0, stderr: '' });
      expect(JSON.parse(installed.stdout).baseline).toEqual(JSON.parse(clone.stdout).baseline);
    });

    test('assess reads the consumer app\'s own cloud assembly', () => {
      const run = cli('assess', 'cdk.out', '--json');

      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout).controls.length).toBeGreaterThan(0);
    });

    test('without the companion package, demo and local invoke exit 1 naming the install command of the same release', () => {
      const { version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
      for (const [name, args] of [['demo', ['demo']], ['local invoke', ['local', 'invoke', '--workflow', 'api', '--event', 'event.json']]] as const) {
        const run = cli(...args);

        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`\`npm install --save-dev genai-finops-local@${version}\``);
        expect(run.stderr).toContain(`then run \`npx genai-finops ${name}\` again`);
      }
    });

    test('reconcile ships compiled: its help works without DuckDB, and a run without DuckDB exits 1 naming the install command', () => {
      const help = cli('reconcile', '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('Usage: genai-finops reconcile');
      const run = cli('reconcile', '--cur', 'cur', '--meter', 'meter');
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('`npm install --save-dev @duckdb/node-api`');
    });

    describe('breaker reset against DynamoDB Local, with no AWS SDK in the app', () => {
      const dynamodb = useDynamoDbLocal();

      test('closes the tripped breaker with the DynamoDB client bundled into the command', async () => {
        const probe = () => execFileSync(process.execPath, ['-e', "require.resolve('@aws-sdk/client-dynamodb')"], { cwd: consumer, stdio: 'pipe', env: { ...process.env, NODE_PRESERVE_SYMLINKS: '1' } });
        expect(probe).toThrow(/Cannot find module '@aws-sdk\/client-dynamodb'/);
        const store = await tableWithTrippedSupportChat(dynamodb.client, 'installed-reset');

        const run = spawnSync(process.execPath, [path.join(consumer, 'node_modules', 'genai-finops-constructs', 'bin', 'genai-finops.js'),
          'breaker', 'reset', '--table', 'installed-reset', '--feature', 'support-chat', '--endpoint', dynamodb.endpoint, '--region', 'us-east-1'],
        { cwd: consumer, encoding: 'utf8', env: { ...process.env, NODE_PRESERVE_SYMLINKS: '1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } });

        expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
        expect(JSON.parse(run.stdout)).toEqual({ application: 'customer-support', feature: 'support-chat', reset: ['support-chat'], unchanged: [] });
        expect((await store.read('customer-support', ['support-chat'])).get('support-chat')).toMatchObject({ status: 'closed' });
      }, 60_000);
    });

    test('run from outside the app, the message names the install into the app the CLI is in', () => {
      const { version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
      const run = spawnSync(process.execPath, [path.join(consumer, 'node_modules', 'genai-finops-constructs', 'bin', 'genai-finops.js'), 'demo'],
        { cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, NODE_PRESERVE_SYMLINKS: '1' } });

      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`\`npm install --save-dev --prefix ${fs.realpathSync(consumer)} genai-finops-local@${version}\``);
    });

    test('their help works without it, and usage mistakes exit 2', () => {
      const help = cli('demo', '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^Usage: genai-finops demo/);
      // The companion brings the command's help; without it, the help says where the command comes from.
      const { version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
      expect(help.stdout).toContain('which come in the companion package genai-finops-local');
      expect(help.stdout).toContain(`\`npm install --save-dev genai-finops-local@${version}\``);

      // Usage mistakes are exit 2 whatever is installed; they are found before loading the command.
      expect([cli('estmate'), cli('breaker'), cli('local'), cli('breaker', 'rest', '--help')].map((r) => r.status)).toEqual([2, 2, 2, 2]);
      expect([cli('breaker', 'help'), cli('local', 'invoke', '--help')].map((r) => r.status)).toEqual([0, 0]);
    });
  });
});

/*
 * The local commands from an install: an app installs both packed tarballs with npm (their dependencies from the
 * registry, as a user gets them) and runs `npx genai-finops demo`, `local invoke` and `breaker reset` there.
 */
describe('the CLI with the companion package genai-finops-local installed', () => {
  let app: string;

  beforeAll(() => {
    const { work, library, companion } = pack();
    app = path.join(work, 'ops-app');
    fs.mkdirSync(app);
    // A CDK app: it has aws-cdk-lib and constructs already (this repository's versions, which npm ci cached).
    const version = (name: string) => JSON.parse(fs.readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
      name: 'ops-app', private: true, dependencies: { 'aws-cdk-lib': version('aws-cdk-lib'), 'constructs': version('constructs') },
    }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', library, companion], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  }, 240_000);

  // As `npx genai-finops` runs it, from the app's folder: the library's bin script, which finds the companion package.
  const cli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath,
    [path.join(app, 'node_modules', 'genai-finops-constructs', 'bin', 'genai-finops.js'), ...args],
    { cwd: app, encoding: 'utf8', timeout: 120_000, env: { ...process.env, GENAI_FINOPS_DEBUG: '', ...env } });

  test('the companion package ships one bundle, the sample events and no sources', () => {
    const installed = path.join(app, 'node_modules', 'genai-finops-local');
    expect(fs.statSync(path.join(installed, 'dist', 'index.js')).size).toBeGreaterThan(100_000);
    expect(fs.readdirSync(path.join(installed, 'events'))).toContain('api-gateway-proxy.json');
    expect(fs.existsSync(path.join(installed, 'local'))).toBe(false);
    // DynamoDB Local arrives as its dependency.
    expect(fs.existsSync(path.join(app, 'node_modules', 'amplify-dynamodb-simulator', 'emulator', 'DynamoDBLocal.jar'))).toBe(true);
  });

  test('demo replays the workload through the installed handler bundles, naive dearer than optimized, and writes its page', () => {
    const page = path.join(app, 'demo.html');
    const run = cli(['demo', '--requests', '30', '--json', '--html', page]);

    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    const report = JSON.parse(run.stdout);
    const cost = (id: string) => report.runs.find((r: { scenario: { id: string } }) => r.scenario.id === id).totals.costUsd;
    expect(report.requests).toBe(30);
    expect(cost('optimized')).toBeGreaterThan(0);
    expect(cost('optimized')).toBeLessThan(cost('naive'));
    expect(report.guardrails.quota.admittedTokens).toBeLessThanOrEqual(report.guardrails.quota.tokenLimit);
    expect(report.guardrails.quota.refused429).toBeGreaterThan(0);
    // The page inlines Chart.js from the companion package's dependency and loads nothing from the network.
    const html = fs.readFileSync(page, 'utf8');
    expect(html).toContain('Chart.js v4');
    expect(html).not.toMatch(/<script[^>]+src=/);
  }, 150_000);

  test('local invoke runs the api handler of the installed library on a shipped sample event', () => {
    const run = cli(['local', 'invoke', '--workflow', 'api', '--event', path.join('node_modules', 'genai-finops-local', 'events', 'api-gateway-proxy.json')]);

    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout).statusCode).toBe(200);
    // The path as Node resolved it (the temp folder may be behind a link, as /var is on macOS).
    expect(run.stderr).toContain(`invoking ${path.join(fs.realpathSync(app), 'node_modules', 'genai-finops-constructs', 'assets', 'handlers', 'api', 'index.js')}`);
  }, 150_000);

  test('Ctrl-C during the installed demo exits 130, with nothing it started left running and no error while stopping', async () => {
    const run = await interruptWhenReady(path.join(app, 'node_modules', 'genai-finops-constructs', 'bin', 'genai-finops.js'),
      ['demo', '--requests', '5000'], app, /genai-finops: workload: /);

    expect({ code: run.code, survivors: run.survivors }).toEqual({ code: 130, survivors: [] });
    expect(run.children.length).toBeGreaterThan(0);
    expect(run.stderr).toContain('SIGINT received, stopping the local services');
    expect(run.stderr).not.toContain('while stopping');
  }, 120_000);

  test('run from outside the app, as a global CLI is, it finds the companion package beside itself', () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-elsewhere-'));
    // The companion's own check of --workflow answers: it was found and loaded, with nothing started.
    const run = spawnSync(process.execPath, [path.join(app, 'node_modules', 'genai-finops-constructs', 'bin', 'genai-finops.js'),
      'local', 'invoke', '--workflow', 'nope', '--event', 'event.json'], { cwd: elsewhere, encoding: 'utf8' });
    fs.rmSync(elsewhere, { recursive: true, force: true });

    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--workflow must be one of api, document, scheduled, breaker, got 'nope'");
  });

  test('the companion beside the CLI wins over one of the same version in the current folder', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-other-app-'));
    const fake = path.join(elsewhere, 'node_modules', 'genai-finops-local');
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(fake, 'package.json'), JSON.stringify({ name: 'genai-finops-local', version, main: 'index.js' }));
    fs.writeFileSync(path.join(fake, 'index.js'), "exports.createLocalCommands = () => { process.stderr.write('the other copy'); process.exit(7); };");
    const run = spawnSync(process.execPath, [path.join(app, 'node_modules', 'genai-finops-constructs', 'bin', 'genai-finops.js'),
      'local', 'invoke', '--workflow', 'nope', '--event', 'event.json'], { cwd: elsewhere, encoding: 'utf8' });
    fs.rmSync(elsewhere, { recursive: true, force: true });

    expect({ status: run.status, other: run.stderr.includes('the other copy') }).toEqual({ status: 2, other: false });
  });

  test('a usage mistake in a command of the companion package exits 2 with the message, like the library\'s own', () => {
    const run = cli(['demo', '--requests', 'many']);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--requests must be a whole number from 1 to 20000, got 'many'");
    expect(run.stderr).toContain("Run 'genai-finops demo --help' for usage.");
  });
});
