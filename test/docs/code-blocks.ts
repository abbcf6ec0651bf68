import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import * as cdk from 'aws-cdk-lib';
import * as library from '../../lib';

/**
 * The ```ts blocks of the README and the docs pages, compiled against the library and run as a reader would run them.
 *
 * The convention a block follows:
 * - A block that creates its own `App` (`new App(`) is a whole program, like the README's minimal example.
 * - Any other block is the body of the minimal example's program: `app` (an App tagged Environment=production,
 *   Application=customer-support, Team=support, CostCenter=operations, with `GenAiTagPolicy.enforce(app)`) and
 *   `stack` (a Stack of it in us-east-1) are in scope; everything else it uses it imports or declares itself.
 * - Either way the tag policy is on when the block's apps synthesize (a whole program that does not enforce it
 *   gets it enforced), so a block that leaves a shared construct without a Feature fails.
 * - A block not meant to run is fenced ```ts nocompile <reason>; other languages use their own fence.
 */

export const ROOT = path.join(__dirname, '..', '..');
export const PACKAGE_NAME = 'genai-finops-constructs';
/** The tags the minimal example puts on its app: fragments run in such an app. */
export const EXAMPLE_TAGS = { environment: 'production', application: 'customer-support', team: 'support', costCenter: 'operations' } as const;

export interface CodeBlock {
  /** The markdown file, relative to the repository root. */
  readonly file: string;
  /** Line of the block's first code line (after the fence), 1-based. */
  readonly line: number;
  /** The nearest heading above the block. */
  readonly heading: string;
  readonly source: string;
  /** The reason given after `nocompile`, if the block is not meant to run. */
  readonly noCompileReason?: string;
  readonly wholeProgram: boolean;
}

/** README.md and every page under docs/. */
export function markdownFiles(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** Every ```ts (or ```typescript) block of a markdown file, with where it is. */
export function tsBlocks(file: string): CodeBlock[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(\S*)\s*(.*)$/);
    if (!open) {
      if (/^#{1,6} /.test(lines[i])) heading = lines[i].trim();
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`${file}:${i + 1}: a code fence that never closes`);
    if (open[1] === 'ts' || open[1] === 'typescript') {
      const source = lines.slice(i + 1, end).join('\n');
      const noCompile = open[2].match(/^nocompile\b\s*(.*)$/);
      blocks.push({ file, line: i + 2, heading, source, noCompileReason: noCompile ? noCompile[1].trim() : undefined, wholeProgram: /\bnew App\(/.test(source) });
    }
    i = end;
  }
  return blocks;
}

/** Lines put before a fragment when it is type-checked: `app` and `stack` in scope, under names it cannot clash with. */
const FRAGMENT_PRELUDE = ["import type * as __cdk from 'aws-cdk-lib';", 'declare const app: __cdk.App;', 'declare const stack: __cdk.Stack;'];

function virtualFile(block: CodeBlock): { name: string; text: string; offset: number } {
  const prelude = block.wholeProgram ? [] : FRAGMENT_PRELUDE;
  const name = path.join(ROOT, 'test', 'docs', '.blocks', `${block.file.replace(/[/.]/g, '_')}_${block.line}.ts`);
  return { name, text: [...prelude, block.source, 'export {};', ''].join('\n'), offset: prelude.length };
}

/**
 * Type-checks every block in one program (the library's sources are checked once, not per block), with the
 * repository's compiler options and `genai-finops-constructs` mapped to `lib/`. Returns each block's errors as
 * `file:line:column message`, pointing into the markdown.
 */
export function typeCheck(blocks: ReadonlyArray<CodeBlock>): Map<CodeBlock, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!config) throw new Error('tsconfig.json could not be read');
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    declaration: false,
    // A snippet names things for the reader (`const chat = ...`) that it may not use again.
    noUnusedLocals: false,
    noUnusedParameters: false,
    types: ['node'],
    baseUrl: ROOT,
    paths: { [PACKAGE_NAME]: ['lib/index.ts'] },
  };
  const files = new Map(blocks.map((b) => [b, virtualFile(b)] as const));
  const byName = new Map([...files.values()].map((f) => [path.resolve(f.name), f.text]));
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => byName.get(path.resolve(name)) ?? readFile(name);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => byName.has(path.resolve(name)) || fileExists(name);
  const program = ts.createProgram([...byName.keys()], options, host);
  const result = new Map<CodeBlock, string[]>();
  for (const [block, file] of files) {
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file.name));
    result.set(block, diagnostics.map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const line = where ? block.line + where.line - file.offset : block.line;
      return `${block.file}:${line}:${(where?.character ?? 0) + 1} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    }));
  }
  return result;
}

/** What running a block left behind: the apps it synthesized and their messages. */
export interface BlockRun {
  readonly apps: cdk.App[];
  readonly assemblies: cdk.cx_api.CloudAssembly[];
  /** `error` annotations, as `path: message`. */
  readonly errors: string[];
  /** `genai-finops:` warnings, as `path: message`. */
  readonly warnings: string[];
  /** The fragment's `stack`, when the block is a fragment. */
  readonly stack?: cdk.Stack;
}

const outdirs: string[] = [];

function outdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-docs-block-'));
  outdirs.push(dir);
  return dir;
}

/** Deletes the cloud assemblies the blocks were synthesized into (each holds copies of the handler bundles). */
export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs a block as its reader would (see the convention above) and synthesizes every app it made. A compile or synth
 * failure is rethrown naming the block's file and line.
 */
export function runBlock(block: CodeBlock): BlockRun {
  const apps: cdk.App[] = [];
  class TrackedApp extends cdk.App {
    constructor(props: cdk.AppProps = {}) {
      super({ outdir: outdir(), ...props });
      apps.push(this);
    }
  }
  // The block's `import { App } from 'aws-cdk-lib'` gets an App the test can find and synthesize afterwards.
  const cdkForBlock = new Proxy(cdk, { get: (target, key) => (key === 'App' ? TrackedApp : Reflect.get(target, key)) });
  // Its other imports resolve as in the reader's project; their ids are known only once the block is read.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (id: string) => (id === PACKAGE_NAME ? library : id === 'aws-cdk-lib' ? cdkForBlock : require(id));
  const js = ts.transpileModule(block.source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText.replace(/^#!.*/, ''); // a shebang is no statement
  const where = `${block.file}:${block.line} (${block.heading})`;
  let stack: cdk.Stack | undefined;
  try {
    if (block.wholeProgram) {
      new Function('require', 'exports', 'module', js)(load, {}, { exports: {} });
    } else {
      const app = new TrackedApp();
      library.GenAiTags.apply(app, EXAMPLE_TAGS);
      library.GenAiTagPolicy.enforce(app);
      stack = new cdk.Stack(app, 'DocsBlock', { env: { account: '111122223333', region: 'us-east-1' } });
      new Function('require', 'exports', 'module', 'app', 'stack', js)(load, {}, { exports: {} }, app, stack);
    }
    if (apps.length === 0) throw new Error('the block creates no App');
    const assemblies = apps.map((app) => {
      if (!library.GenAiTagPolicy.enforcedAbove(app)) library.GenAiTagPolicy.enforce(app);
      return app.synth();
    });
    const messages = assemblies.flatMap((a) => a.stacks.flatMap((s) => s.messages));
    const text = (m: (typeof messages)[number]) => `${m.id}: ${String(m.entry.data)}`;
    return {
      apps,
      assemblies,
      stack,
      errors: messages.filter((m) => m.level === 'error').map(text),
      warnings: messages.filter((m) => m.level === 'warning' && String(m.entry.data).includes('genai-finops:')).map(text),
    };
  } catch (error) {
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
