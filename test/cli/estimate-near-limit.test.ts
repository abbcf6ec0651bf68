import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { estimateWorkload } from '../../estimator';
import { usd } from '../../bin/cli/estimate';
import { exampleJson, exampleWorkload } from '../estimator/load';
import { REPO_ROOT, runCli } from './run-cli';

const BUDGETED = 'customer-support-budget.json';
const example = (name: string) => path.join('examples', 'workloads', name);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-estimate-budget-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('genai-finops estimate with a budget and a near-limit policy', () => {
  test('prints the month without a budget, under the budget alone and with the policy', async () => {
    const expected = estimateWorkload(exampleWorkload(BUDGETED)).budget!;

    const run = await runCli(['estimate', example(BUDGETED)]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Budget $5,000.00 a month (30.4 days, traffic spread evenly); near-limit policy cheaperTier (to simple) from 80.0 % of it, at the limit refuse');
    expect(run.stdout).toMatch(/\n\s+no budget\s+budget alone\s+with the policy\n/);
    const spend = new RegExp(`spend a month\\s+${esc(usd(expected.unlimitedUsd))}\\s+${esc(usd(expected.withoutPolicy.spendUsd))}\\s+${esc(usd(expected.withPolicy!.spendUsd))}\\n`);
    expect(run.stdout).toMatch(spend);
    const day = (d: number) => (Math.round(d * 10) / 10).toFixed(1);
    expect(run.stdout).toMatch(new RegExp(`80\\.0 % of the budget spent\\s+-\\s+-\\s+day ${esc(day(expected.withPolicy!.nearLimitReached!.day))} \\(`));
    expect(run.stdout).toMatch(new RegExp(`budget spent\\s+-\\s+day ${esc(day(expected.withoutPolicy.limitReached!.day))} .*day ${esc(day(expected.withPolicy!.limitReached!.day))} `));
    const count = (n: number) => Math.round(n).toLocaleString('en-US');
    expect(run.stdout).toMatch(new RegExp(`degraded \\(cheaper-tier\\)\\s+-\\s+-\\s+${count(expected.withPolicy!.degraded.requests)} for ${esc(usd(expected.withPolicy!.degraded.usd))}\\n`));
    expect(run.stdout).toMatch(new RegExp(`refused\\s+0\\s+${count(expected.withoutPolicy.refusedRequests)}\\s+${count(expected.withPolicy!.refusedRequests)}\\n`));
    expect(run.stdout.replace(/\s+/g, ' ')).toContain('past the limit, cache misses are refused (429); response-cache hits are still answered.');
    // The policy answers what the budget alone refuses, for the same spend.
    expect(expected.withPolicy!.refusedRequests).toBeLessThan(expected.withoutPolicy.refusedRequests);
    expect(run.stderr).toBe('');
  });

  test('prints the budget figures as JSON with --json', async () => {
    const expected = estimateWorkload(exampleWorkload(BUDGETED)).budget!;

    const run = await runCli(['estimate', example(BUDGETED), '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).budget).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  test('prints no budget lines for a workload without one', async () => {
    const run = await runCli(['estimate', example('customer-support.json')]);

    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/^Budget /m);
    expect(run.stdout).not.toContain('budget alone');
  });

  test('docs/estimate.md shows the worked example\'s table as the command prints it', async () => {
    const run = await runCli(['estimate', example('article-hybrid-routing-budget.json'), '--prices', path.join('test', 'fixtures', 'article-prices.json')]);

    expect(run.code).toBe(0);
    const printed = /^Budget [^\n]*\n(?: {2}[^\n]*\n)+/m.exec(run.stdout)![0];
    expect(readFileSync(path.join(REPO_ROOT, 'docs', 'estimate.md'), 'utf8')).toContain(`\`\`\`text\n${printed}\`\`\``);
  });

  test('fails with the JSON path, the value and the fix on a bad policy', async () => {
    const file = path.join(dir, 'bad-policy.json');
    writeFileSync(file, JSON.stringify({ ...exampleJson(BUDGETED), nearLimit: { action: 'cheaperTier', tier: 'complex' } }));

    const run = await runCli(['estimate', file]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: nearLimit.tier: expected a routed tier below the dearest one (complex): one of "simple", "medium", got "complex"`);
    expect(run.stdout).toBe('');
  });
});

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
