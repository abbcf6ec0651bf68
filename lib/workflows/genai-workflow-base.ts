import { Lazy, TagManager } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, MetricName, NO_MODEL, UNTAGGED, UsageLimitConfig } from '../../shared/contract';
import { IResponseCache } from '../data-stores';
import type { IUsageLedger } from '../guardrails/usage-ledger';
import { GenAiInferenceProfile } from '../inference';
import { genAiMetric } from '../observability/genai-metric';
import { MonitoredWorkflow, MonitoredWorkflows } from '../observability/monitored-workflow';
import { GenAiTagKey, GenAiTags } from '../tagging';
import { declareTagProp } from '../tagging/tag-messages';
import type { WorkflowRuntime } from './workflow-runtime';

// What the runtime reports when the function carries no Application or Feature tag (the contract's UNTAGGED); the
// tag policy fails such a synthesis anyway, so these only show in apps that skip it.
const UNTAGGED_APPLICATION = UNTAGGED.application;
const UNTAGGED_FEATURE = UNTAGGED.feature;

/**
 * What the three workflows share: the handler, the inference profiles, the caches, the models it routes to, and the
 * metrics the request pipeline records for it.
 *
 * Every `metricXxx()` is a CloudWatch metric in the contract's namespace (`GenAI/FinOps`) with the dimensions the
 * runtime writes: Application and Feature are the workflow's tags as synthesized (so a tag set on the app or the
 * stack counts), Model each base model id the workflow can call. A workflow that routes across several models gets
 * metric math summing the per-model series (missing points as 0), which dashboards and alarms take like a metric.
 * Unless `props` says otherwise the statistic is Sum and the period 5 minutes; `metricLatency()` is p50.
 */
export abstract class GenAiWorkflowBase extends Construct {
  // What every workflow builds the same way (createWorkflowRuntime), set once by the subclass's constructor.
  private workflowRuntime?: WorkflowRuntime;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // A tag-policy failure under a workflow can then point at its `tags` prop.
    declareTagProp(this, 'tags');
  }

  /** The Lambda function that runs the workflow (the request pipeline). */
  public get handler(): lambda.IFunction {
    return this.runtime.handler.function;
  }

  /** The handler's execution role (e.g. for `GenAiBudgets`' `nonCriticalRoles`). */
  public get role(): iam.IRole {
    return this.runtime.handler.role;
  }

  /** The handler's log group (e.g. for `MeterArchive`'s `logGroups`). */
  public get logGroup(): logs.ILogGroup {
    return this.runtime.handler.logGroup;
  }

  /** Where the handler's failed asynchronous invocations are kept. */
  public get deadLetterQueue(): sqs.IQueue {
    return this.runtime.handler.deadLetterQueue;
  }

  /** The application inference profile of the simple (or only) tier. */
  public get profile(): GenAiInferenceProfile {
    return this.runtime.profile;
  }

  /** One application inference profile per routed model; the handler may invoke through these only. */
  public get profiles(): GenAiInferenceProfile[] {
    return this.runtime.profiles;
  }

  /** The response cache, if the workflow has one. */
  public get responseCache(): IResponseCache | undefined {
    return this.runtime.responseCache;
  }

  /**
   * The base model ids the workflow routes to, cheapest tier first, each once (e.g. Haiku, Sonnet, Opus). The `Model`
   * tag is on each model's inference profile; the function, queue and logs serve them all, so they carry none.
   */
  public get routedModels(): string[] {
    return this.runtime.routedModels;
  }

  /**
   * Where the workflow counts its usage limits, and the limits: what a workflow that hands its calls to this one
   * (an API deferring to a scheduled workflow) must share so the calls stay inside the same budgets.
   * @internal
   */
  public get _usageAccounting(): { readonly ledger?: IUsageLedger; readonly limits: ReadonlyArray<UsageLimitConfig> } {
    return { ledger: this.runtime.usageLedger, limits: this.runtime.usageLimits };
  }

  /**
   * Records what `createWorkflowRuntime` built for this workflow; each subclass calls it once, in its constructor.
   * @internal
   */
  protected _useRuntime(runtime: WorkflowRuntime): void {
    if (this.workflowRuntime) throw new Error(`${this.node.path}: the workflow's runtime is already set.`);
    this.workflowRuntime = runtime;
  }

  private get runtime(): WorkflowRuntime {
    if (!this.workflowRuntime) throw new Error(`${this.node.path}: the workflow's handler is read before it is created.`);
    return this.workflowRuntime;
  }

  /** USD spent on model calls (Converse and embeddings), exact per call. Sum over 5 minutes. */
  public metricCostUsd(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.costUsd, this.spendModels(), props);
  }

  /** Requests served or refused (a response-cache hit counts). Sum over 5 minutes. */
  public metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.requests, [...this.routedModels, NO_MODEL], props);
  }

  /** Requests refused before any model call (4xx: limits, validation). Sum over 5 minutes. */
  public metricRejectedRequests(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.rejected, [...this.routedModels, NO_MODEL], props);
  }

  /** Requests that failed (5xx). Sum over 5 minutes. */
  public metricFailedRequests(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.failed, [...this.routedModels, NO_MODEL], props);
  }

  /** Fresh input tokens billed (cache reads and writes excluded, as Bedrock reports them). Sum over 5 minutes. */
  public metricInputTokens(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.inputTokens, this.spendModels(), props);
  }

  /** Output tokens billed. Sum over 5 minutes. */
  public metricOutputTokens(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.outputTokens, this.routedModels, props);
  }

  /** Input tokens read from Bedrock's prompt cache. Sum over 5 minutes. */
  public metricCacheReadTokens(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.cacheReadTokens, this.routedModels, props);
  }

  /** Input tokens written to Bedrock's prompt cache. Sum over 5 minutes. */
  public metricCacheWriteTokens(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.cacheWriteTokens, this.routedModels, props);
  }

  /** Requests answered from the response cache, at no model cost. Sum over 5 minutes. */
  public metricResponseCacheHits(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.responseCacheHits, this.routedModels, props);
  }

  /** Requests the response cache could not answer. Sum over 5 minutes. */
  public metricResponseCacheMisses(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.responseCacheMisses, this.routedModels, props);
  }

  /**
   * Milliseconds per model call. p50 over 5 minutes; across several models, the highest of the per-model values.
   */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metricOf(METRIC.latencyMs, this.routedModels, props);
  }

  /**
   * This workflow as the observability constructs take it (`GenAiDashboard`, `GenAiAlarms`): its Application and
   * Feature tags as the runtime writes them, every model it can spend on, its handler, log group and dead-letter
   * queue, and the guard signals it can emit (degraded, throttled, the usage ledger's events).
   */
  public monitored(): MonitoredWorkflow {
    // Dashboards and alarms need the dimension values as literals: those GenAiTags.apply set are known now.
    const tags = GenAiTags.valuesAt(this.handler);
    return MonitoredWorkflows.of({
      application: tags.application ?? this.tagAtSynthesis(GenAiTagKey.APPLICATION, UNTAGGED_APPLICATION),
      feature: tags.feature ?? this.tagAtSynthesis(GenAiTagKey.FEATURE, UNTAGGED_FEATURE),
      models: this.spendModels(),
      handler: this.handler,
      logGroup: this.logGroup,
      deadLetterQueue: this.deadLetterQueue,
      ...this.runtime.signals,
    });
  }

  /** Every model a call that spends can reach: the routed models (an API workflow adds its embeddings model). */
  protected spendModels(): string[] {
    return this.routedModels;
  }

  private metricOf(name: MetricName, models: string[], props: cloudwatch.MetricOptions | undefined): cloudwatch.IMetric {
    return genAiMetric(name, {
      application: this.tagAtSynthesis(GenAiTagKey.APPLICATION, UNTAGGED_APPLICATION),
      feature: this.tagAtSynthesis(GenAiTagKey.FEATURE, UNTAGGED_FEATURE),
      models,
    }, props);
  }

  // Lazy: tags set with Tags.of on the app or stack are applied by an aspect after this construct is built, and
  // the handler's tags are the ones the runtime writes its dimensions from (GENAI_TAGS).
  private tagAtSynthesis(key: GenAiTagKey, untagged: string): string {
    return Lazy.string({
      produce: () => {
        const fn = this.handler;
        return TagManager.of(fn.node.defaultChild ?? fn)?.tagValues()[key] ?? untagged;
      },
    });
  }
}
