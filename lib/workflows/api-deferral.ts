import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DEFERRED_PREFIX, DEFERRED_RESULT_PREFIX, ENV } from '../../shared/contract';
import { grantListPrefix, grantPutObjects, grantReadObjects } from './object-grants';
import type { GenAiWorkflowBase } from './genai-workflow-base';
import type { ScheduledWorkflow } from './scheduled-workflow';

/*
 * An API workflow that defers calls near a limit (`deferTo`): the environment and the S3 rights its handler needs to
 * write deferred records into a scheduled workflow's input bucket and read their results back, and nothing more.
 */

/** What the handler reads to defer (lambda/api/deferred-store.ts, `readDeferralSettings`). */
export function deferralEnvironment(target: ScheduledWorkflow): Record<string, string> {
  return {
    [ENV.deferredBucket]: target.inputBucket.bucketName,
    [ENV.deferredResultsBucket]: target.resultsBucket.bucketName,
    [ENV.deferredResultsPrefix]: target.resultsPrefix,
  };
}

/**
 * Least privilege over the scheduled workflow's buckets: write and read records under `deferred/` of its input bucket
 * (never its uploaders' `records/`), read the deferred results only (`<resultsPrefix>*\/deferred-*`, not the other
 * records' results), and list exactly those keys so that a missing one reads as 404 rather than 403 ("If you don't
 * have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403", GetObject in the S3 API reference:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). The buckets' KMS keys, when they have them, are
 * granted by the same helpers (encrypt for the writes, decrypt for the reads).
 */
export function grantDeferral(role: iam.IRole, target: ScheduledWorkflow): void {
  grantPutObjects(target.inputBucket, role, DEFERRED_PREFIX);
  grantReadObjects(target.inputBucket, role, DEFERRED_PREFIX);
  grantListPrefix(target.inputBucket, role, DEFERRED_PREFIX);
  const results = `${target.resultsPrefix}*/${DEFERRED_RESULT_PREFIX}`;
  grantReadObjects(target.resultsBucket, role, results);
  grantListPrefix(target.resultsBucket, role, results);
}

/**
 * The scheduled run answers a deferred call only for a feature it has (its own, `tags.feature`): with another one it
 * would reject every deferred call (`INVALID_REQUEST`) after each was promised with a 202. Checked once the tags are
 * final (a feature set on the app or stack is applied by an aspect).
 */
export function checkDeferredFeature(api: GenAiWorkflowBase, target: ScheduledWorkflow, defers: boolean): void {
  api.node.addValidation({
    validate: () => {
      const accounting = sameAccounting(api, target);
      if (accounting) return [accounting];
      const mine = Stack.of(api).resolve(api.monitored().feature);
      const theirs = Stack.of(target).resolve(target.monitored().feature);
      if (typeof mine !== 'string' || typeof theirs !== 'string' || Token.isUnresolved(mine) || Token.isUnresolved(theirs) || mine === theirs) {
        return defers && !api._usageAccounting.ledger ? [noLedger(api)] : [];
      }
      return [`${api.node.path}: deferTo is ${target.node.path}, whose feature is '${theirs}', but this API's is '${mine}': the scheduled run answers deferred calls of its own feature only, so it would reject every one (INVALID_REQUEST). Fix: give both workflows the same tags.feature.`];
    },
  });
}

/**
 * A deferral is a promise backed by a reservation that outlives the API's container (a batch hold, settled by the
 * scheduled run): only the usage ledger keeps such a hold. Per-container counts would lose it.
 */
function noLedger(api: GenAiWorkflowBase): string {
  return `${api.node.path}: nearLimit.action is NearLimitAction.DEFER without a usageLedger: a deferred call's spend is reserved when it is accepted and settled by the scheduled run, in another container, which only a shared ledger can do (per-container counts would lose the reservation). Fix: give this API and its deferTo the same usageLedger, or use another action.`;
}

/**
 * A deferred call is charged by the scheduled run, on the scheduled workflow's ledger and limits: with another ledger
 * (or none) or other limits, deferring would move a tenant's calls out of the budget that was about to refuse them.
 */
function sameAccounting(api: GenAiWorkflowBase, target: ScheduledWorkflow): string | undefined {
  const mine = api._usageAccounting;
  const theirs = target._usageAccounting;
  const fix = 'Fix: give the scheduled workflow the same usageLedger and usageLimits as this API.';
  if (mine.ledger !== theirs.ledger) {
    const name = (accounting: typeof mine) => (accounting.ledger ? `the ledger ${accounting.ledger.node.path}` : 'no shared ledger (per-container counts)');
    return `${api.node.path}: deferTo is ${target.node.path}, which counts its usage on ${name(theirs)}, but this API counts on ${name(mine)}: the deferred calls would escape the limits that deferred them. ${fix}`;
  }
  const stack = Stack.of(api);
  if (JSON.stringify(stack.resolve(mine.limits)) !== JSON.stringify(Stack.of(target).resolve(theirs.limits))) {
    return `${api.node.path}: deferTo is ${target.node.path}, whose usageLimits differ from this API's: the deferred calls would be charged against other limits than the ones that deferred them. ${fix}`;
  }
  return undefined;
}
