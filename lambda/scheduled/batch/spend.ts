import type { SpendPath, StoredReservation } from '../../../shared/contract';
import type { ModelCatalog } from '../../../shared/core';
import { PipelineConfig, workflowTenant } from '../../pipeline/config';
import { NO_SPEND, Reservation, SpendAmount, SpendContext } from '../../pipeline/guards';
import { restoreReservation, SpendPort, spendUpperBound, storeReservation } from '../../pipeline/spend';
import { modelPrice } from '../../pipeline/stages/price-call';
import type { SpendRecord } from '../../pipeline/stages/record-request';
import type { RequestIdentity } from '../../pipeline/stages/validate-request';
import type { AcceptedRecord } from './plan';

/**
 * What the batch path needs of the container's pipeline: the spend port every model call passes, the prices, and
 * the recorder, so that a batch job is governed and measured like a Converse call. `GenAiPipeline` is one.
 */
export interface BatchGovernance {
  readonly spend: SpendPort;
  readonly catalog: ModelCatalog;
  readonly config: PipelineConfig;
  record(record: SpendRecord): void;
  recordRejection(error: unknown, path: SpendPath, who?: Partial<RequestIdentity>, feature?: string): void;
}

/** The user id of the scheduled workflow's own requests, on demand and in batch. */
export const SCHEDULE_USER = 'schedule';

/**
 * A job's reservation as the day's marker keeps it, with the identity it was taken under: collection settles it
 * hours later, maybe in another container, under the same identity and idempotency key (a deferred record keeps its
 * reservation the same way).
 */
export type StoredBatchSpend = StoredReservation;

export { storeReservation };

/**
 * Who spends for a day's job: the workflow's own tenant (its Customer tag, else 'internal', as on demand), the
 * schedule's user, the default feature, on path `batch`, under the job's name (the port's idempotency key is
 * `batch:<job name>`, one per day).
 */
export function batchSpendContext(config: PipelineConfig, jobName: string, nowMs: number): SpendContext {
  return { requestId: jobName, tenantId: workflowTenant(config), userId: SCHEDULE_USER, feature: config.defaultFeature, path: 'batch', nowMs };
}

/**
 * The most a job can cost: every record's input-token bound plus the output cap of each, at the batch price of
 * the job's model. Batch records carry no cache point, so nothing is priced at the cache-write price.
 */
export function batchUpperBound(governance: BatchGovernance, modelId: string, records: ReadonlyArray<AcceptedRecord>, maxOutputTokens: number): SpendAmount {
  const { price } = modelPrice(modelId, governance.catalog, governance.config);
  return spendUpperBound({
    inputTokens: records.reduce((sum, r) => sum + r.inputTokenBound, 0),
    cacheablePrefixTokens: 0,
    maxOutputTokens: maxOutputTokens * records.length,
    prices: [price],
    batch: true,
  });
}

/** Admits and reserves a job's upper bound on every guard, or throws the guard's `PipelineError` (429 or 503). */
export async function reserveBatch(governance: BatchGovernance, context: SpendContext, estimate: SpendAmount): Promise<Reservation> {
  await governance.spend.admit(context);
  return governance.spend.reserve(context, estimate);
}

/**
 * Gives a reservation back whole, for a job that was not started after all (creation failed, or another run's
 * marker won). Settled under a key of its own (`batch:<job name>:<why>`), so that the key of the job's real
 * settlement stays unused for the reservation a retry takes.
 */
export async function releaseBatch(governance: BatchGovernance, context: SpendContext, reservation: Reservation, why: string): Promise<number> {
  return governance.spend.settle({ ...context, requestId: `${context.requestId}:${why}` }, reservation, NO_SPEND);
}

/**
 * Settles a stored reservation to what the job was billed, under the job's idempotency key. Returns how many
 * guards could not settle (each logged by the port); a marker without a reservation (written before batch spend
 * was governed) settles nothing.
 */
export async function settleBatch(governance: BatchGovernance, stored: StoredBatchSpend | undefined, actual: SpendAmount, nowMs: number): Promise<number> {
  if (!stored) return 0;
  const { context, reservation } = restoreReservation(stored, nowMs);
  return governance.spend.settle(context, reservation, actual);
}
