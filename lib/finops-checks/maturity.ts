import { ENV, METRIC, METRIC_NAMESPACE } from '../../shared/contract';
import { bedrockSpenders, FINOPS_RULES, REQUIRED_GENAI_TAGS } from './rules';
import { alarmsThatAct } from './signal-paths';
import { tagsOf, TemplateModel } from './template-model';

/** The article's maturity levels: each adds tools to the one before. */
export const MATURITY_LEVELS = Object.freeze([
  { level: 1, name: 'Crawl', adds: 'cost visibility and budgets' },
  { level: 2, name: 'Walk', adds: 'custom token metrics and the cost and usage report' },
  { level: 3, name: 'Run', adds: 'tracing and cost analytics' },
  { level: 4, name: 'Fly', adds: 'real-time cost controls and automated optimization' },
] as const);

/** One control the assessment looks for. */
export interface MaturityControl {
  readonly id: string;
  readonly level: 1 | 2 | 3 | 4;
  readonly name: string;
  /** The construct of this library that adds it. */
  readonly addedBy: string;
  /** Whether any of the templates has it. */
  present(templates: ReadonlyArray<TemplateModel>): boolean;
}

const any = (templates: ReadonlyArray<TemplateModel>, test: (t: TemplateModel) => boolean) => templates.some(test);
const pipelineConfigs = (t: TemplateModel): string[] => t.ofType('AWS::Lambda::Function')
  .map((f) => f.properties.Environment?.Variables?.[ENV.pipelineConfig]).filter((v) => v !== undefined).map((v) => JSON.stringify(v));

/** The controls, by level. A level is reached when every control of it and of the levels below is present. */
export const MATURITY_CONTROLS: ReadonlyArray<MaturityControl> = [
  {
    id: 'tagged-spenders', level: 1, name: 'Bedrock spenders carry the GenAI cost allocation tags', addedBy: 'GenAiTags.apply / GenAiTagPolicy.enforce',
    present: (ts) => any(ts, (t) => {
      const spenders = bedrockSpenders(t);
      return spenders.length > 0 && spenders.every((r) => REQUIRED_GENAI_TAGS.every((k) => tagsOf(r)[k] !== undefined));
    }),
  },
  {
    id: 'inference-profiles', level: 1, name: 'Models invoked through tagged application inference profiles', addedBy: 'GenAiInferenceProfile (every workflow)',
    present: (ts) => any(ts, (t) => t.ofType('AWS::Bedrock::ApplicationInferenceProfile').length > 0),
  },
  {
    id: 'budgets', level: 1, name: 'A budget on GenAI spend', addedBy: 'GenAiBudgets',
    present: (ts) => any(ts, (t) => t.ofType('AWS::Budgets::Budget').length > 0),
  },
  {
    id: 'token-metrics', level: 2, name: 'Token and cost metrics per application, feature and model', addedBy: 'ApiWorkflow / DocumentWorkflow / ScheduledWorkflow (EMF in GenAI/FinOps)',
    present: (ts) => any(ts, (t) => t.ofType('AWS::Lambda::Function').some((f) => f.properties.Environment?.Variables?.[ENV.metricsNamespace] === METRIC_NAMESPACE)),
  },
  {
    id: 'cur', level: 2, name: 'A CUR 2.0 data export', addedBy: 'CostReporting',
    present: (ts) => any(ts, (t) => t.ofType('AWS::BCMDataExports::Export').length > 0 || t.ofType('AWS::CUR::ReportDefinition').length > 0),
  },
  {
    id: 'tracing', level: 3, name: 'Tracing on the functions that call Bedrock', addedBy: 'GenAiFunction (X-Ray active)',
    present: (ts) => any(ts, (t) => {
      const fns = t.ofType('AWS::Lambda::Function').filter((f) => f.properties.Environment?.Variables?.[ENV.pipelineConfig] !== undefined);
      return fns.length > 0 && fns.every((f) => f.properties.TracingConfig?.Mode === 'Active');
    }),
  },
  {
    id: 'cost-analytics', level: 3, name: 'Cost analytics over the CUR (Athena, Glue, saved queries)', addedBy: 'CostReporting',
    present: (ts) => any(ts, (t) => t.ofType('AWS::Athena::WorkGroup').length > 0 && t.ofType('AWS::Athena::NamedQuery').length > 0),
  },
  {
    id: 'dashboard', level: 3, name: 'A token and cost dashboard', addedBy: 'GenAiDashboard',
    present: (ts) => any(ts, (t) => t.ofType('AWS::CloudWatch::Dashboard').some((d) => JSON.stringify(d.properties).includes(METRIC_NAMESPACE))),
  },
  {
    id: 'spend-alarms', level: 4, name: 'Alarms on the pipeline\'s own cost metric, acting within minutes (delivered to a function that acts on them)', addedBy: 'GenAiAlarms / CircuitBreaker (tripOnSpend, subscribeTo)',
    // Judged by the same policy evaluation as rule GenAIFinOps-SIG1: an alarm whose notifications cannot reach
    // anything that acts (a topic refusing CloudWatch, a key it cannot use, a breaker that ignores it) is not a control.
    present: (ts) => any(ts, (t) => {
      const acting = alarmsThatAct(t);
      return t.ofType('AWS::CloudWatch::Alarm').some((a) => JSON.stringify(a.properties).includes(METRIC.costUsd) && acting.has(a.logicalId));
    }),
  },
  {
    id: 'usage-limits', level: 4, name: 'Usage limits reserved before every model call', addedBy: 'usageLimits / UsageLedger',
    present: (ts) => any(ts, (t) => pipelineConfigs(t).some((c) => /usageLimits[^\]]*scope/.test(c))),
  },
  {
    id: 'budget-actions', level: 4, name: 'A Budgets action that stops Bedrock spend as a backstop', addedBy: 'GenAiBudgets (budget actions)',
    present: (ts) => any(ts, (t) => t.ofType('AWS::Budgets::BudgetsAction').length > 0),
  },
  {
    id: 'optimization', level: 4, name: 'Automated optimization: routing by complexity, response and prompt caching', addedBy: 'ApiWorkflow (routing, ResponseCacheTable, promptCaching)',
    present: (ts) => any(ts, (t) => pipelineConfigs(t).some((c) => c.includes('medium') && c.includes('responseCache'))),
  },
];

/** What an assessment found. */
export interface MaturityAssessment {
  /** The highest level whose controls, and those of every level below, are all present (0: not even Crawl). */
  readonly level: number;
  readonly levelName: string;
  readonly controls: ReadonlyArray<{ readonly id: string; readonly level: number; readonly name: string; readonly present: boolean; readonly addedBy: string }>;
  /** The rule pack's findings, rule id → count. */
  readonly findings: Readonly<Record<string, number>>;
}

/** Assesses a set of synthesized templates (one cloud assembly). */
export function assessMaturity(templates: ReadonlyArray<TemplateModel>): MaturityAssessment {
  const controls = MATURITY_CONTROLS.map((c) => ({ id: c.id, level: c.level, name: c.name, present: c.present(templates), addedBy: c.addedBy }));
  let level = 0;
  for (const { level: l } of MATURITY_LEVELS) {
    if (controls.filter((c) => c.level <= l).every((c) => c.present)) level = l;
    else break;
  }
  const findings: Record<string, number> = {};
  for (const rule of FINOPS_RULES) {
    const count = templates.reduce((n, t) => n + rule.check(t).length, 0);
    if (count > 0) findings[rule.id] = count;
  }
  return { level, levelName: level === 0 ? 'none' : MATURITY_LEVELS[level - 1].name, controls, findings };
}
