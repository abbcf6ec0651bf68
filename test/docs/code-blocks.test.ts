import { CodeBlock, markdownFiles, removeOutdirs, runBlock, tsBlocks, typeCheck } from './code-blocks';

afterAll(removeOutdirs);

// Every ```ts block of the README and of docs/*.md, taken from the markdown as a reader copies it: type-checked
// against the library with the repository's compiler options, then run (see the convention in ./code-blocks) and
// synthesized with the GenAI tag policy on. A block that fails says its file and line.

const blocks = markdownFiles().flatMap(tsBlocks);
const runnable = blocks.filter((b) => b.noCompileReason === undefined);
const name = (b: CodeBlock) => `${b.file}:${b.line} ${b.heading}`;
let errors: Map<CodeBlock, string[]>;

beforeAll(() => {
  errors = typeCheck(runnable);
}, 300_000);

test('the docs have ts blocks to check, and each one that is not compiled says why', () => {
  expect(runnable.length).toBeGreaterThan(10);
  for (const block of blocks.filter((b) => b.noCompileReason !== undefined)) {
    expect({ block: name(block), reason: block.noCompileReason }).toEqual({ block: name(block), reason: expect.stringMatching(/\w{3,}/) });
  }
});

describe.each(runnable.map((b) => [name(b), b] as const))('%s', (_, block) => {
  test('compiles against the library', () => {
    expect(errors.get(block)).toEqual([]);
  });

  test('synthesizes with the tag policy on, with no error and no genai-finops warning', () => {
    const run = runBlock(block);

    expect(run.errors).toEqual([]);
    expect(run.warnings).toEqual([]);
  });
});
