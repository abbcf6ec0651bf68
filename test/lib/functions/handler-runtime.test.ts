import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, CircuitBreaker } from '../../../lib';
import { HANDLER_RUNTIME } from '../../../lib/private/bundled-handler';
import { createTestStack } from '../../support/test-app';

// The handlers are bundled by scripts/build.mjs (buildHandlers) for one Node.js version and run on the functions' runtime:
// both must come from HANDLER_RUNTIME, so that a runtime upgrade also upgrades what the bundles are written for.

const ROOT = path.join(__dirname, '..', '..', '..');
const BUILD_SCRIPT = fs.readFileSync(path.join(ROOT, 'scripts', 'build.mjs'), 'utf8');
// The handlers' build, from its declaration to its closing brace (the CLI and companion bundles have targets of their own).
const HANDLERS_BUILD = BUILD_SCRIPT.match(/async function buildHandlers\(\) \{[\s\S]*?\n\}\n/)?.[0] ?? '';

describe('the runtime of the bundled handlers', () => {
  test('every bundled function deploys on HANDLER_RUNTIME, a Node.js runtime', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
    new CircuitBreaker(stack, 'Breaker');
    const runtimes = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }))
      .map((fn: any) => fn.Properties.Runtime);

    expect(HANDLER_RUNTIME.name).toMatch(/^nodejs\d+\.x$/);
    expect(runtimes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runtimes)).toEqual(new Set([HANDLER_RUNTIME.name]));
  });

  test('the build script takes its esbuild target from HANDLER_RUNTIME, not a version of its own', () => {
    const pattern = BUILD_SCRIPT.match(/\/(HANDLER_RUNTIME = [^\n]*?_X;)\//)?.[1];
    const source = fs.readFileSync(path.join(ROOT, 'lib', 'private', 'bundled-handler.ts'), 'utf8');

    expect(HANDLERS_BUILD).toContain('target:');
    expect(HANDLERS_BUILD).not.toMatch(/target:\s*['"]node\d+['"]/);
    expect(pattern).toBeDefined();
    const major = new RegExp(pattern!).exec(source)?.[1];
    expect(`nodejs${major}.x`).toBe(HANDLER_RUNTIME.name);
  });
});
