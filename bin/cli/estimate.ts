/**
 * `genai-finops estimate <workload.json>`: reads a workload file (and optionally a price file), asks the estimator in
 * lambda/core for the figures, and prints them as a table or JSON. All arithmetic lives in the core.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_MODEL_CATALOG, ModelCatalog, parsePriceFile } from '../../shared/core';
import { BudgetEstimate, BudgetReached, estimateWorkload, parseWorkloadText, projectWorkload, WorkloadEstimate, WorkloadError, WorkloadProjection } from '../../estimator';
import { DEGRADED_ACTION_NAMES } from '../../shared/contract';
import type { buildEstimatePage as BuildEstimatePage } from '../../reports/html/estimate-page';
import type { chartJsSource as ChartJsSource } from '../../reports/html/self-contained';
import { htmlFileOption, parseArgs, UsageError } from '../../shared/cli/args';
import { ESTIMATE_HELP } from './help';
import { fileProblem } from './file-problem';

const COMMAND = 'estimate';

/** A workload or price file that cannot be used: exit code 1, the message and no stack trace. */
class BadInputError extends Error {}

/** Runs `estimate`; resolves to the exit code. */
export async function estimateCommand(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const { options, positionals } = parseArgs(argv, { prices: 'string', json: 'boolean', html: 'string', poc: 'string' }, COMMAND);
  if (options.help) {
    await out(ESTIMATE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('missing the workload file: genai-finops estimate <workload.json>', COMMAND);
  if (positionals.length > 1) throw new UsageError(`one workload file at a time, got ${positionals.length}: ${positionals.join(' ')}`, COMMAND);
  const file = positionals[0];
  const htmlFile = htmlFileOption(options.html as string | undefined, COMMAND);
  const pocFile = options.poc as string | undefined;
  const workloadText = readInput(file, 'workload file');
  const pocText = pocFile !== undefined ? readInput(pocFile, 'POC workload file') : undefined;
  const pricesFile = options.prices as string | undefined;
  try {
    const catalog: ModelCatalog = pricesFile !== undefined ? readPriceFile(pricesFile) : DEFAULT_MODEL_CATALOG;
    const workload = parseWorkloadText(workloadText, file);
    const catalogSource = pricesFile !== undefined ? 'price file' : 'catalog';
    const estimate = estimateWorkload(workload, { catalog, catalogSource, source: file });
    let projection: WorkloadProjection | undefined;
    if (pocFile !== undefined && pocText !== undefined) {
      projection = projectWorkload(estimateWorkload(parseWorkloadText(pocText, pocFile), { catalog, catalogSource, source: pocFile }), estimate);
    }
    if (htmlFile) {
      // Loaded only for --html: the page builder and Chart.js are not needed to estimate.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { buildEstimatePage } = require('../../reports/html/estimate-page') as { buildEstimatePage: typeof BuildEstimatePage };
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { chartJsSource } = require('../../reports/html/self-contained') as { chartJsSource: typeof ChartJsSource };
      const html = buildEstimatePage({ estimate, workloadFile: file, pricesFile, projection, pocFile, chartJs: chartJsSource() });
      writeFileSync(htmlFile, html, 'utf8');
      log(`wrote the estimate page (${Math.round(Buffer.byteLength(html) / 1024)} KB) to ${htmlFile}`);
    }
    await out(options.json
      ? `${JSON.stringify({ workload: file, prices: pricesLabel(estimate, pricesFile), ...estimate, ...(projection ? { poc: pocFile, projection } : {}) }, null, 2)}\n`
      : formatEstimate(estimate, file, pricesFile) + (projection ? formatProjection(projection, pocFile!) : ''));
    return 0;
  } catch (error) {
    if (error instanceof WorkloadError || error instanceof BadInputError) {
      log(error.message);
      return 1;
    }
    throw error;
  }
}

/**
 * The `prices` of the JSON output: the base prices (`catalog` or the price file), followed by `+ workload prices` when
 * the workload's own `prices` priced a model; `pricing.models` says which source priced each model.
 */
function pricesLabel(e: WorkloadEstimate, pricesFile: string | undefined): string {
  const base = pricesFile ?? 'catalog';
  return e.pricing.models.some((m) => m.source.startsWith('workload')) ? `${base} + workload prices` : base;
}

/** The POC-to-production projection as the lines after the estimate. */
export function formatProjection(p: WorkloadProjection, pocFile: string): string {
  const factor = (x: number | undefined) => (x === undefined ? '-' : `x${(Math.round(x * 10) / 10).toLocaleString('en-US')}`);
  return [
    '',
    `From the POC (${pocFile}) to production`,
    ...table([
      ['', 'requests a month', 'input tokens', 'per request', 'per month'],
      ['POC', count(p.poc.requestsPerMonth), count(p.poc.inputTokens), usd(p.poc.perRequestUsd), usd(p.poc.perMonthUsd)],
      ['production', count(p.production.requestsPerMonth), count(p.production.inputTokens), usd(p.production.perRequestUsd), usd(p.production.perMonthUsd)],
    ], [false, true, true, true, true]).map((l) => `  ${l}`),
    `  ${factor(p.monthFactor)} a month: ${factor(p.volumeFactor)} the volume times ${factor(p.perRequestFactor)} the cost of a request.`,
    '',
  ].join('\n');
}

/** The fix for an unreadable file: sample workloads ship with the package; a price file is the user's own. */
const READ_FIX = {
  workload: 'check the path; sample workloads are in examples/workloads/ (installed: node_modules/genai-finops-constructs/examples/workloads/)',
  prices: 'check the path of the price file given with --prices, or leave --prices out to price with the shipped catalog',
};

function readInput(file: string, what: string, fix: keyof typeof READ_FIX = 'workload'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} '${file}': ${fileProblem(file, error)}. Fix: ${READ_FIX[fix]}`, COMMAND);
  }
}

function readPriceFile(file: string): ModelCatalog {
  const text = readInput(file, 'price file', 'prices');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`${file}: the price file is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return parsePriceFile(json, file);
  } catch (error) {
    throw new BadInputError((error as Error).message);
  }
}

/** The estimate as the readable report the command prints by default. */
export function formatEstimate(e: WorkloadEstimate, file: string, pricesFile?: string): string {
  const lines: string[] = [];
  const daily = e.requestsPerDay !== undefined;
  lines.push(`Workload  ${file}`);
  if (e.description) lines.push(...wrap(e.description, 100).map((l) => `          ${l}`));
  lines.push(`Prices    ${pricesFile ? `price file ${pricesFile}` : 'the shipped catalog (current Bedrock on-demand prices, us-east-1)'}`);
  const own = e.pricing.models.filter((m) => m.source.startsWith('workload'));
  if (own.length > 0) lines.push(`          the workload's own prices for ${own.map((m) => `${m.name} (${m.source})`).join(', ')}`);
  if (e.pricing.serviceTier) lines.push(`Tier      ${e.pricing.serviceTier.tier}: ${e.pricing.serviceTier.basis}; ${e.pricing.serviceTier.cacheAssumption}`);
  lines.push(`Volume    ${daily ? `${count(e.requestsPerDay ?? 0)} requests a day, ` : ''}${count(e.requestsPerMonth)} a month; ${count(e.tokens.input)} input + ${count(e.tokens.output)} output tokens a request${e.tokens.outputCapped !== e.tokens.output ? ` (${count(e.tokens.outputCapped)} capped)` : ''}`);
  lines.push(`Traffic   ${e.traffic.map((t) => `${t.tier === 'all' ? '' : `${t.tier} `}${t.name} ${pct(t.share)}`).join(', ')}`);
  lines.push('');

  const header = daily ? ['', 'per request', 'per day', 'per month', ''] : ['', 'per request', 'per month', ''];
  const row = (label: string, perRequest: string, perDay: string | undefined, perMonth: string, extra = '') => (daily ? [label, perRequest, perDay ?? '', perMonth, extra] : [label, perRequest, perMonth, extra]);
  lines.push(...table([
    header,
    row(`Baseline (all ${e.baseline.name})`, usd(e.baseline.perRequestUsd), e.baseline.perDayUsd !== undefined ? usd(e.baseline.perDayUsd) : undefined, usd(e.baseline.perMonthUsd)),
    row('Optimized', usd(e.optimized.perRequestUsd), e.optimized.perDayUsd !== undefined ? usd(e.optimized.perDayUsd) : undefined, usd(e.optimized.perMonthUsd)),
    row('Saving', '', e.combined.savingPerDayUsd !== undefined ? usd(e.combined.savingPerDayUsd) : undefined, usd(e.combined.savingUsd), pct(e.combined.savingFraction)),
  ], [false, true, true, true, true]));
  lines.push('');

  lines.push('Savings per lever (each alone against the baseline)');
  lines.push(...table([
    ['lever', 'setting', 'per month', 'saving a month', 'saving'],
    ...e.levers.map((l) => [l.lever, l.setting, l.configured ? usd(l.perMonthUsd) : '-', l.configured ? usd(l.savingUsd) : '-', l.configured ? pct(l.savingFraction) : '-']),
    ['all together', '', usd(e.optimized.perMonthUsd), usd(e.combined.savingUsd), pct(e.combined.savingFraction)],
  ], [false, false, true, true, true]).map((l) => `  ${l}`));
  lines.push('');

  lines.push('Monthly cost by what is billed');
  const split = (f: WorkloadEstimate['baseline']['monthly']) => [f.inputUsd, f.cacheReadUsd, f.cacheWriteUsd, f.outputUsd];
  const b = split(e.baseline.monthly);
  const o = split(e.optimized.monthly);
  lines.push(...table([
    ['', 'baseline', 'optimized'],
    ...['input (uncached)', 'cache reads', 'cache writes', 'output'].map((label, i) => [label, usd(b[i]), usd(o[i])]),
    ['model calls', count(e.baseline.modelCallsPerMonth), count(e.optimized.modelCallsPerMonth)],
  ], [false, true, true]).map((l) => `  ${l}`));
  lines.push('');

  if (e.budget) lines.push(...formatBudget(e.budget, e.requestsPerMonth), '');

  if (e.sagemaker) {
    const s = e.sagemaker;
    lines.push('Bedrock vs SageMaker (real-time endpoint billed per instance-hour, always on, capacity-bounded)');
    lines.push(...table([
      ['Bedrock (optimized)', usd(s.bedrockMonthlyUsd), 'a month'],
      [`SageMaker ${s.instancesBilled} x ${s.instanceType ?? 'instance'}`, usd(s.sagemakerMonthlyUsd), `a month (${usd(s.sagemakerInstanceUsd)} instances + ${usd(s.sagemakerTokenUsd)} per-token charges)`],
    ], [false, true, false]).map((l) => `  ${l}`));
    if (s.utilization !== undefined) lines.push(`  Fleet capacity ${count(s.capacityRequestsPerMonth ?? 0)} calls a month; utilisation ${pct(s.utilization)}`);
    lines.push(`  ${s.cheaper === 'equal' ? 'Both cost the same' : `${s.cheaper === 'bedrock' ? 'Bedrock' : 'SageMaker'} is ${pct(s.cheaperByFraction)} cheaper`}. Break-even: ${s.breakEvenReason}.`);
    lines.push('');
  }

  lines.push('What the library itself costs a month (us-east-1 list prices, no free tier)');
  lines.push(...table([...e.library.lines.map((l) => [l.item, usd(l.monthlyUsd), l.basis]), ['total', usd(e.library.monthlyUsd), [
    e.library.shareOfSavings !== undefined ? `${pct(e.library.shareOfSavings)} of the saving` : undefined,
    e.library.shareOfBedrockCost !== undefined ? `${pct(e.library.shareOfBedrockCost)} of the optimized Bedrock bill` : undefined,
  ].filter(Boolean).join(', ')]], [false, true, false]).map((l) => `  ${l}`));
  lines.push('');
  if (e.notes.length > 0) {
    lines.push('Notes');
    for (const note of e.notes) lines.push(...wrap(note, 110).map((l, i) => `${i === 0 ? '  - ' : '    '}${l}`));
  }
  return `${lines.join('\n')}\n`;
}

/** The month under the workload's budget: without one, the budget alone (429 at the limit), with the policy. */
export function formatBudget(b: BudgetEstimate, requestsPerMonth: number): string[] {
  const p = b.policy;
  const policy = p
    ? `near-limit policy ${p.action}${p.action === 'cheaperTier' ? ` (to ${p.tier})` : ''} from ${pct(p.atShare)} of it, at the limit ${p.atLimit}`
    : 'no near-limit policy: the limit refuses (429) once it is spent';
  const reached = (r: BudgetReached | undefined) => (r === undefined ? 'never' : `day ${(Math.round(r.day * 10) / 10).toFixed(1)} (${pct(r.trafficShare)} of requests)`);
  const alone = b.withoutPolicy;
  const withPolicy = b.withPolicy;
  const columns = (unlimited: string, budgetAlone: string, policyValue: () => string) => [unlimited, budgetAlone, ...(withPolicy ? [policyValue()] : [])];
  const rows: string[][] = [
    ['', 'no budget', 'budget alone', ...(withPolicy ? ['with the policy'] : [])],
    ['spend a month', ...columns(usd(b.unlimitedUsd), usd(alone.spendUsd), () => usd(withPolicy!.spendUsd))],
    ...(p ? [[`${pct(p.atShare)} of the budget spent`, ...columns('-', '-', () => reached(withPolicy!.nearLimitReached))]] : []),
    ['budget spent', ...columns('-', reached(alone.limitReached), () => reached(withPolicy!.limitReached))],
    ['answered as configured', ...columns(count(requestsPerMonth), count(alone.asConfigured.requests), () => count(withPolicy!.asConfigured.requests))],
    ...(p && p.action !== 'cacheOnly'
      ? [[`degraded (${DEGRADED_ACTION_NAMES[p.action]})`, ...columns('-', '-', () => `${count(withPolicy!.degraded.requests)} for ${usd(withPolicy!.degraded.usd)}`)]]
      : []),
    ['refused', ...columns('0', count(alone.refusedRequests), () => count(withPolicy!.refusedRequests))],
  ];
  return [
    `Budget ${usd(b.usdPerMonth)} a month (${(Math.round(b.daysPerMonth * 10) / 10).toFixed(1)} days, traffic spread evenly); ${policy}`,
    ...table(rows, [false, true, true, true]).map((l) => `  ${l}`),
    ...wrap(`A request costs ${usd(b.perRequestUsd.full)} as configured${b.perRequestUsd.nearLimit !== undefined ? `, ${usd(b.perRequestUsd.nearLimit)} past the share` : ''}; ${b.refusal}.`, 110).map((l) => `  ${l}`),
  ];
}

function table(rows: ReadonlyArray<ReadonlyArray<string>>, right: ReadonlyArray<boolean>): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/** USD for reading: cents from $1, up to 6 decimals below (a request costs fractions of a cent). */
export function usd(value: number): string {
  const sign = value < 0 ? '-' : '';
  const v = Math.abs(value);
  if (v === 0) return '$0';
  if (v >= 1) return `${sign}$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `${sign}$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (fraction: number) => `${(Math.round(fraction * 1000) / 10).toFixed(1)} %`;

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else { line = line ? `${line} ${word}` : word; }
  }
  if (line) out.push(line);
  return out;
}
