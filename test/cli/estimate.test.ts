import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './run-cli';

const ARTICLE_PRICES = path.join('test', 'fixtures', 'article-prices.json');
const example = (name: string) => path.join('examples', 'workloads', name);
const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)/m);

let dir: string;
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-estimate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('genai-finops estimate', () => {
  test('prints the baseline, the optimized cost and the saving of each lever as a table', async () => {
    const run = await runCli(['estimate', example('article-hybrid-routing.json'), '--prices', ARTICLE_PRICES]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Baseline \(all claude-3-opus\)\s+\$0\.015\s+\$15,000\.00/);
    expect(run.stdout).toMatch(/Optimized\s+\$0\.001675\s+\$1,675\.00/);
    expect(run.stdout).toMatch(/routing\s+claude-3-haiku 70 %, claude-3-5-sonnet 25 %, claude-3-opus 5 %\s+\$1,675\.00\s+\$13,325\.00\s+88\.8 %/);
    expect(run.stdout).toContain('What the library itself costs a month');
    expect(run.stdout).toContain(`price file ${ARTICLE_PRICES}`);
    expect(run.stderr).toBe('');
  });

  test('prints the estimate as JSON with --json', async () => {
    const run = await runCli(['estimate', example('article-response-caching.json'), '--prices', ARTICLE_PRICES, '--json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.baseline.perMonthUsd).toBe(20_000);
    expect(json.optimized.perMonthUsd).toBe(14_000);
    expect(json.levers.map((l: { lever: string }) => l.lever)).toEqual(['routing', 'promptCaching', 'responseCaching', 'outputCap', 'batch', 'serviceTier']);
    expect(json.prices).toBe(ARTICLE_PRICES);
  });

  test('prints the SageMaker comparison and its cost model', async () => {
    const run = await runCli(['estimate', example('article-bedrock-vs-sagemaker.json'), '--prices', ARTICLE_PRICES]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Bedrock vs SageMaker (real-time endpoint billed per instance-hour, always on, capacity-bounded)');
    expect(run.stdout).toMatch(/SageMaker 1 x ml\.g5\.xlarge\s+\$1,329\.30/);
    expect(run.stdout).toContain('Bedrock is 77.4 % cheaper');
  });

  test('prices with the shipped catalog without --prices', async () => {
    const run = await runCli(['estimate', example('customer-support.json'), '--json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.prices).toBe('catalog');
    expect(json.baseline.name).toBe('claude-opus-4-5');
    expect(json.combined.savingFraction).toBeGreaterThan(0.5);
  });

  test('labels the JSON prices with the workload\'s own prices when they priced a model', async () => {
    const workload = file('own-prices.json', JSON.stringify({
      requests: { perMonth: 1000 }, tokens: { userInput: 100, output: 10 }, model: 'acme.llm-9000',
      prices: { 'acme.llm-9000': { inputPerMillion: 1, outputPerMillion: 2 } },
    }));

    const run = await runCli(['estimate', workload, '--json']);

    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.prices).toBe('catalog + workload prices');
    expect(json.pricing.models).toEqual([{ modelId: 'acme.llm-9000', name: expect.any(String), source: 'workload' }]);
  });

  test.each([
    ['a negative token count', '{"requests": {"perMonth": 10}, "tokens": {"output": -1}, "model": "anthropic.claude-3-haiku-20240307-v1:0"}', /tokens\.output: expected a whole number from 0 to 10000000, got -1/],
    ['a trailing comma', '{\n  "requests": {"perMonth": 10},\n}\n', /not valid JSON at line 3, column 1/],
    ['shares not summing to 1', '{"requests": {"perMonth": 10}, "tokens": {"output": 1}, "routing": {"simple": {"model": "anthropic.claude-3-haiku-20240307-v1:0", "share": 0.5}}}', /routing: expected shares that sum to 1/],
    ['an unknown model', '{"requests": {"perMonth": 10}, "tokens": {"output": 1}, "model": "acme.llm-9000"}', /model: unknown model "acme.llm-9000" without a price/],
    ['an absurd volume', '{"requests": {"perMonth": 1e16}, "model": "anthropic.claude-3-haiku-20240307-v1:0"}', /requests\.perMonth: expected requests per month, from 0 to 1e\+12/],
    ['a wrong type', '{"requests": {"perMonth": 10}, "tokens": "many", "model": "anthropic.claude-3-haiku-20240307-v1:0"}', /tokens: expected an object/],
  ])('refuses %s with exit 1 and a message naming the file and the field', async (name, content, message) => {
    const workload = file(`${name.replace(/\W+/g, '-')}.json`, content);
    const run = await runCli(['estimate', workload, '--prices', ARTICLE_PRICES]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(workload);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/NaN/);
    noStackTrace(run.stderr);
  });

  test('refuses a bad price file with exit 1', async () => {
    const prices = file('prices.json', '{"models": {"x": {"inputPerMillion": 1}}}');
    const run = await runCli(['estimate', example('article-hello.json'), '--prices', prices]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(prices);
    noStackTrace(run.stderr);
  });

  test.each([
    [['estimate'], 'missing the workload file'],
    [['estimate', 'a.json', 'b.json'], 'one workload file at a time'],
    [['estimate', 'no/such/workload.json'], "cannot read the workload file 'no/such/workload.json'"],
    [['estimate', example('article-hello.json'), '--prices', 'no/such/prices.json'], "cannot read the price file 'no/such/prices.json'"],
    [['estimate', example('article-hello.json'), '--csv'], "unknown option '--csv'"],
    [['estimate', example('article-hello.json'), '--prices'], "option '--prices' needs a value"],
  ])('%j is a usage error: exit 2', async (args, message) => {
    const run = await runCli(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('genai-finops estimate --help');
    expect(run.stdout).toBe('');
  });

  test('a missing price file is named as one, with the fix for --prices (not the sample workloads)', async () => {
    const run = await runCli(['estimate', example('article-hello.json'), '--prices', 'no/such/prices.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Fix: check the path of the price file given with --prices, or leave --prices out to price with the shipped catalog');
    expect(run.stderr).not.toContain('sample workloads');
  });

  test('has its own help, listed in the main help', async () => {
    const [help, main] = await Promise.all([runCli(['estimate', '--help']), runCli(['--help'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: genai-finops estimate <workload.json> [--prices FILE] [--json]');
    expect(main.stdout).toContain('estimate FILE');
  });
});
