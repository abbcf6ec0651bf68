import { AttributeValue, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { MAX_RUN_DEPTH } from '../../../shared/contract';
import { badRequest, PipelineError } from '../errors';

/** How the run links talk to the ledger table. */
export interface RunLinksOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly abortAfter: (ms: number) => AbortSignal;
}

/** Links remembered per container: links never change, so a cached one is never stale until it expires. */
const MAX_CACHED_LINKS = 10_000;

interface RunLink {
  /** The parent run, '' for a root. */
  readonly parent: string;
  /** The run's ancestors, nearest first. */
  readonly ancestors: ReadonlyArray<string>;
  readonly expiresAtMs: number;
}

/** The link item of a run: `runlink#<tenant>#<run>` (each part URI-encoded), apart from the counters' `<scope>#` keys. */
export function runLinkKey(tenantId: string, runId: string): string {
  return `runlink#${encodeURIComponent(tenantId)}#${encodeURIComponent(runId)}`;
}

/**
 * The parent links of agent runs, kept in the ledger table: a run's link is put the first time the run is seen
 * (conditional on its absence) with its parent and its ancestors, and never changes. A call reserves on the run and
 * every ancestor, so a run cannot leave its parent's budget by naming another parent later (409), and a chain cannot
 * loop (a run's ancestors are fixed before it exists). The ancestors are stored whole, so one read gives the chain.
 */
export class RunLinks {
  private readonly cache = new Map<string, RunLink>();

  constructor(private readonly options: RunLinksOptions) {}

  /**
   * The run and its ancestors, nearest first. Registers the run (and, when unseen, its parent as a root) on first
   * sight: at most two rounds the first time in a container, none afterwards. `expiresAtMs`: how long a new link is
   * kept (beyond the run limits' longest window).
   */
  async chainOf(tenantId: string, runId: string, parentRunId: string | undefined, expiresAtMs: number): Promise<string[]> {
    if (parentRunId === runId) throw badRequest('parentRunId', 'names the run itself; a run cannot be its own parent.');
    const link = await this.linkOf(tenantId, runId, parentRunId, expiresAtMs);
    if (parentRunId !== undefined && link.parent !== parentRunId) {
      throw new PipelineError(409, 'RUN_PARENT_CONFLICT',
        `Run ${JSON.stringify(runId)} was first seen ${link.parent === '' ? 'without a parent' : `as a child of ${JSON.stringify(link.parent)}`}; a run's parent cannot change. Name the parent on the run's first call, or start a new run id.`,
        { field: 'parentRunId', runId, parentRunId, recordedParentRunId: link.parent === '' ? null : link.parent });
    }
    return [runId, ...link.ancestors];
  }

  private async linkOf(tenantId: string, runId: string, parentRunId: string | undefined, expiresAtMs: number): Promise<RunLink> {
    const key = runLinkKey(tenantId, runId);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAtMs > this.options.now()) return cached;
    let ancestors: string[] = [];
    if (parentRunId !== undefined) {
      // The parent's own link (registered as a root when unseen): its ancestors become the run's.
      ancestors = [parentRunId, ...(await this.linkOf(tenantId, parentRunId, undefined, expiresAtMs)).ancestors];
      // Only possible once an ancestor's link has expired and its id is reused below its own descendant.
      if (ancestors.includes(runId)) throw badRequest('parentRunId', `makes run ${JSON.stringify(runId)} its own ancestor; start a new run id.`);
      if (ancestors.length >= MAX_RUN_DEPTH) {
        throw badRequest('parentRunId', `makes run ${JSON.stringify(runId)} ${ancestors.length + 1} runs deep; at most ${MAX_RUN_DEPTH} (the run and its ancestors) are allowed.`);
      }
    }
    const item: Record<string, AttributeValue> = {
      pk: { S: key }, parent: { S: parentRunId ?? '' }, ancestors: { L: ancestors.map((a) => ({ S: a })) },
      expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) },
    };
    let link: RunLink = { parent: parentRunId ?? '', ancestors, expiresAtMs };
    try {
      await this.options.client.send(new PutItemCommand({
        TableName: this.options.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }), { abortSignal: this.options.abortAfter(this.options.timeoutMs) });
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // Seen before (here a retried put that landed reads the same): the recorded link wins.
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      if (!old) throw error;
      link = {
        parent: old.parent?.S ?? '', ancestors: (old.ancestors?.L ?? []).map((a) => a.S ?? ''),
        expiresAtMs: Number(old.expiresAt?.N ?? '0') * 1000,
      };
    }
    if (this.cache.size >= MAX_CACHED_LINKS) this.cache.clear();
    this.cache.set(key, link);
    return link;
  }
}
