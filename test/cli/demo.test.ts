import * as path from 'node:path';
import { interruptWhenReady } from '../support/interrupt';
import { CliRun, REPO_ROOT, runCli } from './run-cli';

let run: CliRun;

beforeAll(async () => {
  // A ceiling for a shared, loaded machine (the demo synthesizes its stack, then replays): a run takes ~20 s.
  run = await runCli(['demo', '--requests', '60', '--seed', '3'], 300_000);
}, 330_000);

/** The table's row for a run, split into its columns. */
function row(label: string): string[] {
  const line = run.stdout.split('\n').find((l) => l.startsWith(label));
  expect(line).toBeDefined();
  return line!.trim().split(/\s{2,}/);
}

const MODEL_CALLS = 2;
const COST = 9;

describe('genai-finops demo', () => {
  test('exits 0 and prints the per-lever table on stdout (progress on stderr, no metric lines)', () => {
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Run\s+Requests\s+Model calls\s+Haiku\/Sonnet\/Opus\s+Input tok\s+Output tok\s+Cache read\s+Cache write\s+Capped\s+Cost USD\s+Saving vs naive$/m);
    for (const label of ['Naive', '+ routing', '+ prompt caching', '+ response cache', '+ output cap', 'Library defaults']) {
      expect(row(label)[1]).toBe('60');
    }
    expect(run.stdout).not.toContain('"_aws"');
    expect(run.stderr).toContain('run optimized');
    // It ends on its own, and names the next commands as a clone runs them (the bare command is not on PATH there)
    expect(run.stderr).toContain('npx genai-finops demo chat');
    expect(run.stderr).toContain('npx genai-finops demo --html dashboard.html');
    expect(run.stderr).not.toMatch(/[^x] genai-finops demo/);
  });

  test('the optimized run costs less than naive and makes fewer model calls', () => {
    const ratio = Number(/Optimized\/naive cost ratio: ([\d.]+)/.exec(run.stdout)?.[1]);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);
    const naive = row('Naive');
    const optimized = row('Library defaults');
    expect(Number(optimized[MODEL_CALLS])).toBeLessThan(Number(naive[MODEL_CALLS]));
    expect(Number(optimized[COST])).toBeLessThan(Number(naive[COST]));
  });

  test('each lever shows where it acts: routing spreads calls over three models, caches cut calls or input', () => {
    expect(row('Naive')[3]).toBe('0/0/60');
    expect(row('+ routing')[3]).toMatch(/^[1-9]\d*\/[1-9]\d*\/\d+$/);
    expect(Number(row('+ response cache')[MODEL_CALLS])).toBeLessThan(60);
    expect(Number(row('+ prompt caching')[6].replace(/,/g, ''))).toBeGreaterThan(0);
  });

  test('prints the guardrails table after the lever table: the burst row and a row per step and feature', () => {
    const levers = run.stdout.indexOf('Optimized/naive cost ratio');
    const guardrails = run.stdout.search(/^Step\s+Feature\s+Critical\?\s+When tripped\s+200\s+429\s+503\s+Tiers seen$/m);
    expect(levers).toBeGreaterThan(0);
    expect(guardrails).toBeGreaterThan(levers);
    const burst = row('burst of');
    expect(burst[1]).toBe('runaway-tenant');
    expect(Number(burst[4])).toBeGreaterThan(0);
    expect(Number(burst[5])).toBeGreaterThan(0);
    expect(row('alarm genai-support-chat-spend')[1]).toBe('support-chat');
    expect(run.stdout).toMatch(/^Quota of runaway-tenant \(per day\): admitted [\d,]+ of [\d,]+ tokens .*: nothing went over/m);
  });

  test('reconciles the optimized run with the bill of what the simulator served: no drift, and the call outside the pipeline as unmetered spend', () => {
    const line = /^Meter vs bill .*: metered \$([\d.]+), billed \$([\d.]+); drift support-chat ([+-][\d.]+) %; unmetered \$([\d.]+)/m.exec(run.stdout);
    expect(line).not.toBeNull();
    const [metered, billed, drift, unmetered] = line!.slice(1).map(Number);
    expect(metered).toBeCloseTo(Number(row('Library defaults')[COST]), 4);
    expect(Math.abs(drift)).toBeLessThan(0.01);
    expect(unmetered).toBeGreaterThan(0);
    expect(billed - unmetered).toBeCloseTo(metered, 3);
  });
});

describe('genai-finops demo, interrupted', () => {
  test('Ctrl-C stops the local services and exits 130; SIGTERM exits 143', async () => {
    const script = path.join(REPO_ROOT, 'bin', 'genai-finops.js');
    const [interrupted, terminated] = await Promise.all([
      interruptWhenReady(script, ['demo', '--requests', '5000'], REPO_ROOT, /genai-finops: workload: /),
      interruptWhenReady(script, ['demo', '--requests', '5000'], REPO_ROOT, /genai-finops: workload: /, 'SIGTERM'),
    ]);

    expect({ code: interrupted.code, survivors: interrupted.survivors }).toEqual({ code: 130, survivors: [] });
    expect(interrupted.children.length).toBeGreaterThan(0); // DynamoDB Local's JVM was running
    expect(interrupted.stderr).toContain('SIGINT received, stopping the local services');
    expect({ code: terminated.code, survivors: terminated.survivors }).toEqual({ code: 143, survivors: [] });
  }, 120_000);
});
