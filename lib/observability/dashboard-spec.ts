/**
 * What the GenAI dashboard shows, as data: one list of widgets that two renderers draw — the `GenAiDashboard`
 * construct (CloudWatch widgets over the pipeline's metrics) and the local demo page (charts over the demo's EMF
 * records). Pure: it imports neither aws-cdk-lib nor an AWS SDK, so the demo can load it without either.
 *
 * Rows start with a `text` widget (their header); the widths of a row add up to 24, CloudWatch's grid.
 */
import { METRIC, MetricName } from '../../shared/contract';

/** The article's prompt-cache target: more than 90 % of input tokens read from the cache. */
export const PROMPT_CACHE_HIT_RATE_TARGET = 0.9;

/** The article's content-length alert: a single request above 20,000 input tokens. */
export const CONTENT_LENGTH_ALERT_TOKENS = 20_000;

/** How a widget draws its series. `logs` is a Logs Insights table over the handlers' log records. */
export type WidgetKind = 'text' | 'line' | 'stacked' | 'number' | 'bar' | 'logs';

/** The statistic of a series over its widget's period. */
export type SeriesStat = 'Sum' | 'Maximum' | 'p50' | 'p99';

/**
 * Where a series' values come from: the pipeline's records (namespace `GenAI/FinOps`), Bedrock's own metrics
 * (`AWS/Bedrock`, by `ModelId`), the workflow's Lambda handler and dead-letter queue, or the usage ledger's guard
 * events (`GenAI/FinOps` too, but with the Application dimension only: GUARD_EVENT_DIMENSIONS).
 */
export type SeriesSource = 'pipeline' | 'bedrock' | 'handler' | 'deadLetterQueue' | 'usageLedger';

/** A ratio of sums, shown in percent: `100 * sum(numerator) / sum(denominator)`. */
export interface RatioSpec {
  readonly numerator: MetricName[];
  readonly denominator: MetricName[];
}

/** The prompt cache's hit rate: input tokens read from the cache over all input tokens (billed, read and written). */
export const PROMPT_CACHE_HIT_RATIO: RatioSpec = Object.freeze({
  numerator: [METRIC.cacheReadTokens], denominator: [METRIC.inputTokens, METRIC.cacheReadTokens, METRIC.cacheWriteTokens],
});

/** The response cache's hit rate: hits over lookups. */
export const RESPONSE_CACHE_HIT_RATIO: RatioSpec = Object.freeze({
  numerator: [METRIC.responseCacheHits], denominator: [METRIC.responseCacheHits, METRIC.responseCacheMisses],
});

/** The embedding cache's hit rate: hits over lookups. */
export const EMBEDDING_CACHE_HIT_RATIO: RatioSpec = Object.freeze({
  numerator: [METRIC.embeddingCacheHits], denominator: [METRIC.embeddingCacheHits, METRIC.embeddingCacheMisses],
});

/** One series of a widget. */
export interface SeriesSpec {
  /** The legend entry. */
  readonly label: string;
  readonly source: SeriesSource;
  /** The metric name: one of `METRIC` for the pipeline, Bedrock's, Lambda's or SQS's name otherwise; absent for a ratio. */
  readonly name?: string;
  readonly stat: SeriesStat;
  /** The workflow (Application and Feature; a usage-ledger series has the Application only); absent: every workflow of the dashboard added up. */
  readonly application?: string;
  readonly feature?: string;
  /** A ratio of pipeline sums instead of one metric. */
  readonly ratio?: RatioSpec;
  /** The running sum since the first hour of the current calendar month (UTC), instead of the per-period value. */
  readonly monthToDate?: boolean;
  /**
   * One line per value of this dimension instead of one series: `Model` (pipeline), `ModelId` (Bedrock), or `Action`
   * (the pipeline's `DegradedRequests`, whose Action values are the near-limit actions' wire names).
   */
  readonly groupBy?: 'Model' | 'ModelId' | 'Action';
  /** The y axis. @default 'left' */
  readonly axis?: 'left' | 'right';
}

/** A horizontal line on a graph: a target or an alarm threshold. */
export interface AnnotationSpec {
  readonly label: string;
  readonly value: number;
}

/** A Logs Insights table: the handlers' EMF records that carry `field`, counted by its value. */
export interface LogCountSpec {
  /** An EMF property: `route` (the tier) or `errorCode` (why a request was refused). */
  readonly countBy: 'route' | 'errorCode';
}

/** One widget. */
export interface WidgetSpec {
  /** Stable id, unique in the list. */
  readonly id: string;
  readonly title: string;
  readonly kind: WidgetKind;
  /** Grid columns, of 24. */
  readonly width: number;
  /** Grid rows. */
  readonly height: number;
  /** The period of each point, in seconds (3600 for spend per hour). */
  readonly periodSeconds: number;
  readonly metrics: SeriesSpec[];
  readonly annotations?: AnnotationSpec[];
  /** The left axis' label (its unit). */
  readonly unit?: string;
  /** The left axis' bounds, e.g. 0-100 for percentages. */
  readonly min?: number;
  readonly max?: number;
  /** A fixed time range ending now (ISO 8601 duration, e.g. `P31D`) instead of the dashboard's. */
  readonly range?: string;
  /** The markdown of a `text` widget. */
  readonly markdown?: string;
  /** The query of a `logs` widget. */
  readonly logs?: LogCountSpec;
}

/** A workflow the dashboard shows. */
export interface DashboardWorkflowSpec {
  readonly application: string;
  readonly feature: string;
  /** Whether it has a Lambda handler to show errors of. */
  readonly handler?: boolean;
  /** Whether it has a dead-letter queue to show the depth of. */
  readonly deadLetterQueue?: boolean;
  /** Whether its handler's log records can be queried (the route mix and error codes come from them). */
  readonly logs?: boolean;
  /** Whether a `nearLimit` policy can degrade its calls (`DegradedRequests`, by Action). */
  readonly degrades?: boolean;
  /** Whether a tripped circuit breaker throttles it (`WhenTripped.THROTTLE`: `ThrottledRequests`). */
  readonly throttles?: boolean;
  /** Whether it counts its usage limits in a usage ledger (the ledger's guard events, by its Application). */
  readonly usesUsageLedger?: boolean;
}

const FULL = 24;
const HOUR = 3600;
const FIVE_MINUTES = 300;

/**
 * The dashboard's widgets for these workflows, row by row: spend, tokens, caches, routing and rejections,
 * latency and Bedrock, handlers, limits (only for workflows that degrade, throttle or count in a usage ledger), guardrails. The guardrails row is last so that widgets added later (the circuit
 * breaker's state) land in it.
 */
export function dashboardWidgetSpecs(workflows: DashboardWorkflowSpec[]): WidgetSpec[] {
  const perWorkflow = (make: (w: DashboardWorkflowSpec, label: string) => SeriesSpec[]): SeriesSpec[] =>
    workflows.flatMap((w) => make(w, workflowLabel(w)));
  const scoped = (w: DashboardWorkflowSpec) => ({ application: w.application, feature: w.feature });
  const pipeline = (name: MetricName, stat: SeriesStat, label: string, w?: DashboardWorkflowSpec): SeriesSpec =>
    ({ label, source: 'pipeline', name, stat, ...(w ? scoped(w) : {}) });
  const several = workflows.length > 1;
  const logs = workflows.some((w) => w.logs);

  const widgets: WidgetSpec[] = [
    text('spend-header', '## Spend\nCostUSD of every model call the pipeline records: Converse, embeddings and batch, by the workflows\' Application and Feature.'),
    {
      id: 'cost-per-hour', title: 'Cost per hour (USD)', kind: 'line', width: 8, height: 6, periodSeconds: HOUR, unit: 'USD',
      metrics: [
        ...perWorkflow((w, label) => [pipeline(METRIC.costUsd, 'Sum', label, w)]),
        ...(several ? [pipeline(METRIC.costUsd, 'Sum', 'Total')] : []),
      ],
    },
    {
      // Where routing shows in money: spend moves from the complex tier's model to the simple and medium ones.
      id: 'cost-by-model', title: 'Cost per hour by model (USD)', kind: 'stacked', width: 8, height: 6, periodSeconds: HOUR, unit: 'USD',
      metrics: perWorkflow((w, label) => [{ ...pipeline(METRIC.costUsd, 'Sum', label, w), groupBy: 'Model' }]),
    },
    {
      id: 'cost-month-to-date', title: 'Month to date (USD)', kind: 'number', width: 4, height: 6, periodSeconds: HOUR, range: 'P31D', unit: 'USD',
      metrics: [
        ...perWorkflow((w, label) => [{ ...pipeline(METRIC.costUsd, 'Sum', label, w), monthToDate: true }]),
        ...(several ? [{ ...pipeline(METRIC.costUsd, 'Sum', 'Total'), monthToDate: true }] : []),
      ],
    },
    {
      id: 'saved-per-hour', title: 'Saved by the response cache per hour (USD)', kind: 'line', width: 4, height: 6, periodSeconds: HOUR, unit: 'USD',
      metrics: perWorkflow((w, label) => [pipeline(METRIC.savedUsd, 'Sum', label, w)]),
    },

    text('tokens-header', '## Tokens\nBilled tokens by bucket: fresh input, output, prompt-cache reads and writes (each priced apart).'),
    {
      id: 'tokens-by-workflow', title: 'Tokens by workflow', kind: 'stacked', width: 12, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Tokens',
      metrics: perWorkflow((w, label) => [
        pipeline(METRIC.inputTokens, 'Sum', `${label} input`, w),
        pipeline(METRIC.outputTokens, 'Sum', `${label} output`, w),
        pipeline(METRIC.cacheReadTokens, 'Sum', `${label} cache read`, w),
        pipeline(METRIC.cacheWriteTokens, 'Sum', `${label} cache write`, w),
      ]),
    },
    {
      id: 'tokens-by-model', title: 'Input and output tokens by model', kind: 'line', width: 12, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Tokens',
      metrics: perWorkflow((w, label) => [
        { ...pipeline(METRIC.inputTokens, 'Sum', `${label} input`, w), groupBy: 'Model' },
        { ...pipeline(METRIC.outputTokens, 'Sum', `${label} output`, w), groupBy: 'Model' },
      ]),
    },

    text('caches-header', `## Caches\nHit rates per hour. Prompt cache: cache reads / (input + cache reads + cache writes), target above ${percent(PROMPT_CACHE_HIT_RATE_TARGET)} %.`),
    {
      id: 'prompt-cache-hit-rate', title: 'Prompt-cache hit rate (%)', kind: 'line', width: 8, height: 6, periodSeconds: HOUR, unit: '%', min: 0, max: 100,
      annotations: [{ label: `Target ${percent(PROMPT_CACHE_HIT_RATE_TARGET)} %`, value: percent(PROMPT_CACHE_HIT_RATE_TARGET) }],
      metrics: perWorkflow((w, label) => [{
        label, source: 'pipeline', stat: 'Sum', ...scoped(w),
        ratio: PROMPT_CACHE_HIT_RATIO,
      }]),
    },
    {
      id: 'response-cache-hit-rate', title: 'Response-cache hit rate (%)', kind: 'line', width: 8, height: 6, periodSeconds: HOUR, unit: '%', min: 0, max: 100,
      metrics: perWorkflow((w, label) => [{
        label, source: 'pipeline', stat: 'Sum', ...scoped(w),
        ratio: RESPONSE_CACHE_HIT_RATIO,
      }]),
    },
    {
      id: 'embedding-cache-hit-rate', title: 'Embedding-cache hit rate (%)', kind: 'line', width: 8, height: 6, periodSeconds: HOUR, unit: '%', min: 0, max: 100,
      metrics: perWorkflow((w, label) => [{
        label, source: 'pipeline', stat: 'Sum', ...scoped(w),
        ratio: EMBEDDING_CACHE_HIT_RATIO,
      }]),
    },

    text('routing-header', '## Routing and rejections\nThe tier each request was routed to (from the handlers\' log records: the tier is an EMF property, not a dimension), and the requests refused before any model call (4xx) or failed (5xx).'),
    ...(logs ? [{ id: 'route-mix', title: 'Route mix by tier', kind: 'logs' as const, width: 8, height: 6, periodSeconds: FIVE_MINUTES, metrics: [], logs: { countBy: 'route' as const } }] : []),
    {
      id: 'rejections', title: 'Rejected and failed requests', kind: 'line', width: logs ? 8 : FULL, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Requests',
      metrics: perWorkflow((w, label) => [
        pipeline(METRIC.rejected, 'Sum', `${label} rejected`, w),
        pipeline(METRIC.failed, 'Sum', `${label} failed`, w),
      ]),
    },
    ...(logs ? [{ id: 'rejections-by-error-code', title: 'Rejections by error code', kind: 'logs' as const, width: 8, height: 6, periodSeconds: FIVE_MINUTES, metrics: [], logs: { countBy: 'errorCode' as const } }] : []),

    text('latency-header', '## Latency and Bedrock\nEnd-to-end latency of the pipeline; throttles and errors as Bedrock reports them for every model of the account and Region.'),
    {
      id: 'latency', title: 'Latency p50 / p99 (ms)', kind: 'line', width: 8, height: 6, periodSeconds: FIVE_MINUTES, unit: 'ms',
      metrics: perWorkflow((w, label) => [
        pipeline(METRIC.latencyMs, 'p50', `${label} p50`, w),
        pipeline(METRIC.latencyMs, 'p99', `${label} p99`, w),
      ]),
    },
    {
      id: 'bedrock-throttles', title: 'Bedrock throttles by model', kind: 'line', width: 8, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Invocations',
      metrics: [{ label: 'Throttles', source: 'bedrock', name: 'InvocationThrottles', stat: 'Sum', groupBy: 'ModelId' }],
    },
    {
      id: 'bedrock-errors', title: 'Bedrock errors by model', kind: 'line', width: 8, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Invocations',
      metrics: [
        { label: 'Client errors', source: 'bedrock', name: 'InvocationClientErrors', stat: 'Sum', groupBy: 'ModelId' },
        { label: 'Server errors', source: 'bedrock', name: 'InvocationServerErrors', stat: 'Sum', groupBy: 'ModelId' },
      ],
    },
  ];

  const handlers = workflows.filter((w) => w.handler);
  const queues = workflows.filter((w) => w.deadLetterQueue);
  if (handlers.length || queues.length) {
    widgets.push(text('handlers-header', '## Handlers\nErrors of the workflows\' Lambda functions, and failed asynchronous invocations waiting in their dead-letter queues.'));
    const width = handlers.length && queues.length ? 12 : FULL;
    if (handlers.length) {
      widgets.push({
        id: 'handler-errors', title: 'Handler errors and throttles', kind: 'line', width, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Invocations',
        metrics: handlers.flatMap((w) => [
          { label: `${workflowLabel(w)} errors`, source: 'handler' as const, name: 'Errors', stat: 'Sum' as const, ...scoped(w) },
          { label: `${workflowLabel(w)} throttles`, source: 'handler' as const, name: 'Throttles', stat: 'Sum' as const, ...scoped(w) },
        ]),
      });
    }
    if (queues.length) {
      widgets.push({
        id: 'dead-letter-depth', title: 'Dead-letter queue depth', kind: 'line', width, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Messages',
        annotations: [{ label: 'Alarm above 0', value: 0 }],
        metrics: queues.map((w) => ({ label: workflowLabel(w), source: 'deadLetterQueue' as const, name: 'ApproximateNumberOfMessagesVisible', stat: 'Maximum' as const, ...scoped(w) })),
      });
    }
  }

  widgets.push(...limitWidgets(workflows));

  widgets.push(
    text('guardrails-header', '## Guardrails\nGuard health: reservations a guard could not settle after a billed call, token bounds the billed input exceeded, the largest request.'),
    {
      id: 'guard-health', title: 'Settle failures and exceeded token bounds', kind: 'line', width: 12, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Count',
      metrics: perWorkflow((w, label) => [
        pipeline(METRIC.settleFailures, 'Sum', `${label} settle failures`, w),
        pipeline(METRIC.inputTokenBoundExceeded, 'Sum', `${label} bound exceeded`, w),
      ]),
    },
    {
      id: 'largest-request', title: 'Largest request (input-token bound)', kind: 'line', width: 12, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Tokens',
      annotations: [{ label: `Content-length alarm ${CONTENT_LENGTH_ALERT_TOKENS.toLocaleString('en-US')}`, value: CONTENT_LENGTH_ALERT_TOKENS }],
      metrics: perWorkflow((w, label) => [pipeline(METRIC.inputTokenBound, 'Maximum', label, w)]),
    },
  );
  return widgets;
}

/**
 * The limits row: what the guards did to requests instead of serving them as asked, drawn only for the workflows
 * that can emit it (a widget nobody writes to would stay empty). DegradedRequests is a SEARCH by Action, so each
 * action shows as emitted; ThrottledRequests carries Model `none`; the ledger's events carry the Application only,
 * so workflows of one Application share one set of lines.
 */
function limitWidgets(workflows: DashboardWorkflowSpec[]): WidgetSpec[] {
  const limited = workflows.filter((w) => w.degrades || w.throttles);
  const applications = [...new Set(workflows.filter((w) => w.usesUsageLedger).map((w) => w.application))];
  if (limited.length === 0 && applications.length === 0) return [];
  const width = limited.length && applications.length ? 12 : FULL;
  const widgets: WidgetSpec[] = [text('limits-header', '## Limits\nCalls a feature\'s `nearLimit` policy degraded (by action), requests a throttled circuit breaker refused, and the usage ledger\'s events: requests let through or refused while it could not be reached, reservations and container allowances that expired unsettled.')];
  if (limited.length) {
    widgets.push({
      id: 'degraded-throttled', title: 'Degraded and throttled', kind: 'line', width, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Requests',
      metrics: limited.flatMap((w): SeriesSpec[] => {
        const scope = { source: 'pipeline' as const, stat: 'Sum' as const, application: w.application, feature: w.feature };
        return [
          ...(w.degrades ? [{ ...scope, label: `${workflowLabel(w)} degraded`, name: METRIC.degradedRequests, groupBy: 'Action' as const }] : []),
          ...(w.throttles ? [{ ...scope, label: `${workflowLabel(w)} throttled`, name: METRIC.throttledRequests }] : []),
        ];
      }),
    });
  }
  if (applications.length) {
    widgets.push({
      id: 'usage-ledger', title: 'Usage ledger', kind: 'line', width, height: 6, periodSeconds: FIVE_MINUTES, unit: 'Count',
      metrics: applications.flatMap((application): SeriesSpec[] => ([
        [METRIC.guardFailOpen, 'failed open'],
        [METRIC.guardFailClosed, 'failed closed'],
        [METRIC.guardHoldsExpired, 'holds expired'],
        [METRIC.guardAllowancesExpired, 'allowances expired'],
      ] as const).map(([name, what]) => ({ label: `${application} ${what}`, source: 'usageLedger', name, stat: 'Sum', application }))),
    });
  }
  return widgets;
}

/** How a workflow is named in legends: `Application/Feature`. */
export function workflowLabel(w: { application: string; feature: string }): string {
  return `${w.application}/${w.feature}`;
}

function text(id: string, markdown: string): WidgetSpec {
  return { id, title: '', kind: 'text', width: FULL, height: 2, periodSeconds: FIVE_MINUTES, metrics: [], markdown };
}

function percent(fraction: number): number {
  return Math.round(fraction * 1000) / 10;
}
