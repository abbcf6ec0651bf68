import {
  AttributeValue, BatchGetItemCommand, BatchGetItemCommandOutput, DynamoDBClient, QueryCommand, TransactionCanceledException, TransactWriteItemsCommand,
  TransactWriteItem, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { BREAKER_TABLE, breakerPartitionKey, DEFAULT_BREAKER_AUDIT_RETENTION_DAYS } from '../../shared/contract';
import { BreakerReadOptions, BreakerStateItem, BreakerStateReader } from './state';

/** What changed a breaker, as its audit item records it. */
export type BreakerAction = 'open' | 'join' | 'release' | 'close' | 'reset';

/** One audit item: what tripped or closed a breaker, when and why. */
export interface BreakerAuditEntry {
  readonly feature: string;
  readonly at: string;
  readonly action: BreakerAction;
  readonly source: string;
  readonly reason: string;
  readonly period?: string;
  /** The SNS message (or invocation) that caused it. */
  readonly messageId?: string;
}

/** A trip: who, why, for which period, and when the notification was sent. */
export interface TripRequest {
  readonly application: string;
  readonly feature: string;
  readonly source: string;
  readonly reason: string;
  readonly period: string;
  /** ISO time of the notification; one older than the breaker's last manual reset does not re-open it. */
  readonly notifiedAt: string;
  readonly messageId?: string;
  /**
   * ISO time of the source's own state change (a CloudWatch alarm's `StateChangeTime`). SNS neither orders nor
   * deduplicates, so a transition no newer than the last one recorded for the source changes nothing.
   * @default - unordered (budgets: a period holds one trip per source)
   */
  readonly signalAt?: string;
}

/** A source letting go of a breaker (an alarm back to OK). */
export interface ReleaseRequest {
  readonly application: string;
  readonly feature: string;
  readonly source: string;
  readonly reason: string;
  readonly messageId?: string;
  /** As {@link TripRequest.signalAt}. */
  readonly signalAt?: string;
}

/** What a write did: `changed` false means the state already said so (a repeated notification). */
export interface WriteOutcome {
  readonly changed: boolean;
  readonly action?: BreakerAction;
}

const { partitionKey: PK, sortKey: SK, stateSortKey: STATE, auditPrefix: AUDIT, ttlAttribute: TTL } = BREAKER_TABLE;
const NAMES = { '#status': 'status', '#sources': 'sources', '#period': 'period', '#source': 'source', '#reason': 'reason' };

/**
 * The breaker table in DynamoDB: a state item per feature (`sk = state`) and an audit item per change
 * (`sk = audit#<ISO time>#<id>`), in the feature's partition.
 *
 * Every change is a transaction of a conditional update of the state and the put of its audit item: a condition
 * that finds the state already as asked (a repeated notification) cancels both, so a retried or duplicated
 * delivery changes nothing and writes no second audit item.
 */
export class DynamoDbBreakerStore implements BreakerStateReader {
  private sequence = 0;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: { readonly now?: () => number; readonly auditRetentionDays?: number } = {},
  ) {}

  async read(application: string, features: ReadonlyArray<string>, options: BreakerReadOptions = {}): Promise<Map<string, BreakerStateItem | undefined>> {
    const result = new Map<string, BreakerStateItem | undefined>(features.map((f) => [f, undefined]));
    let keys: Array<Record<string, AttributeValue>> | undefined = features.map((f) => ({ [PK]: { S: breakerPartitionKey(application, f) }, [SK]: { S: STATE } }));
    // BatchGetItem may return some keys unprocessed under throttling: asked again, at most twice more.
    for (let round = 0; keys && keys.length > 0; round++) {
      if (round === 3) throw new Error(`breaker states of ${features.join(', ')} still unprocessed after 3 rounds`);
      const out: BatchGetItemCommandOutput = await this.client.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: false } } }),
        { abortSignal: options.abortSignal });
      for (const item of out.Responses?.[this.tableName] ?? []) {
        const feature = featureOf(application, item[PK]?.S);
        if (feature !== undefined) result.set(feature, stateOf(feature, item));
      }
      keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
    }
    return result;
  }

  /**
   * Opens the breaker for `request.source`, or adds the source to those holding it open. No change when the
   * source already holds it open in this period, or when the notification predates the last manual reset.
   */
  async trip(request: TripRequest): Promise<WriteOutcome> {
    const now = this.nowIso();
    const pk = breakerPartitionKey(request.application, request.feature);
    const common = { ':open': { S: 'open' }, ':period': { S: request.period }, ':src': { SS: [request.source] } };
    const order = signalOrder(request.source, request.signalAt);
    // Closed, never tripped, or open in an earlier period (which reads as closed): open afresh.
    const opened = await this.transact(request.feature, {
      TableName: this.tableName,
      Key: this.stateKey(pk),
      UpdateExpression: `SET #status = :open, #sources = :src, openedAt = :now, #reason = :reason, #source = :source, #period = :period, updatedAt = :now${order.set}`,
      ConditionExpression: `(attribute_not_exists(#status) OR #status <> :open OR #period <> :period) AND (attribute_not_exists(resetAt) OR resetAt < :notifiedAt)${order.condition}`,
      ExpressionAttributeNames: { ...NAMES, ...order.names },
      ExpressionAttributeValues: { ...common, ':now': { S: now }, ':reason': { S: request.reason }, ':source': { S: request.source }, ':notifiedAt': { S: request.notifiedAt }, ...order.values },
    }, { action: 'open', source: request.source, reason: request.reason, period: request.period, messageId: request.messageId, at: now });
    if (opened) return { changed: true, action: 'open' };
    // Open in this period by another source: this one joins, so that the other letting go does not close it.
    const joined = await this.transact(request.feature, {
      TableName: this.tableName,
      Key: this.stateKey(pk),
      UpdateExpression: `ADD #sources :src SET updatedAt = :now${order.set}`,
      ConditionExpression: `#status = :open AND #period = :period AND NOT contains(#sources, :source)${order.condition}`,
      ExpressionAttributeNames: { '#status': 'status', '#sources': 'sources', '#period': 'period', ...order.names },
      ExpressionAttributeValues: { ...common, ':now': { S: now }, ':source': { S: request.source }, ...order.values },
    }, { action: 'join', source: request.source, reason: request.reason, period: request.period, messageId: request.messageId, at: now });
    if (joined) return { changed: true, action: 'join' };
    await this.recordSignal(pk, order);
    return { changed: false };
  }

  /**
   * `source` lets go of the breaker (an alarm back to OK): it closes when no other source holds it open. No change
   * when the source does not hold it.
   */
  async release(request: ReleaseRequest): Promise<WriteOutcome> {
    const { feature, source, reason, messageId } = request;
    const now = this.nowIso();
    const pk = breakerPartitionKey(request.application, feature);
    const order = signalOrder(source, request.signalAt);
    const values = { ':open': { S: 'open' }, ':source': { S: source }, ':now': { S: now }, ':one': { N: '1' }, ...order.values };
    const closed = await this.transact(feature, {
      TableName: this.tableName,
      Key: this.stateKey(pk),
      UpdateExpression: `SET #status = :closed, closedAt = :now, updatedAt = :now${order.set} REMOVE #sources`,
      ConditionExpression: `#status = :open AND contains(#sources, :source) AND size(#sources) = :one${order.condition}`,
      ExpressionAttributeNames: { '#status': 'status', '#sources': 'sources', ...order.names },
      ExpressionAttributeValues: { ...values, ':closed': { S: 'closed' } },
    }, { action: 'close', source, reason, messageId, at: now });
    if (closed) return { changed: true, action: 'close' };
    const released = await this.transact(feature, {
      TableName: this.tableName,
      Key: this.stateKey(pk),
      UpdateExpression: `DELETE #sources :set SET updatedAt = :now${order.set}`,
      ConditionExpression: `#status = :open AND contains(#sources, :source) AND size(#sources) > :one${order.condition}`,
      ExpressionAttributeNames: { '#status': 'status', '#sources': 'sources', ...order.names },
      ExpressionAttributeValues: { ...values, ':set': { SS: [source] } },
    }, { action: 'release', source, reason, messageId, at: now });
    if (released) return { changed: true, action: 'release' };
    // An OK that arrives before its ALARM is remembered, so that the ALARM, when it comes, is seen to be older.
    await this.recordSignal(pk, order);
    return { changed: false };
  }

  /**
   * Closes the breaker whatever holds it (an operator's reset), and records when: notifications sent before now
   * do not re-open it. No change when it is not open.
   */
  async reset(application: string, feature: string, reason: string, actor: string, messageId?: string): Promise<WriteOutcome> {
    const now = this.nowIso();
    const changed = await this.transact(feature, {
      TableName: this.tableName,
      Key: this.stateKey(breakerPartitionKey(application, feature)),
      UpdateExpression: 'SET #status = :closed, closedAt = :now, resetAt = :now, resetBy = :actor, updatedAt = :now REMOVE #sources',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status', '#sources': 'sources' },
      ExpressionAttributeValues: { ':open': { S: 'open' }, ':closed': { S: 'closed' }, ':now': { S: now }, ':actor': { S: actor } },
    }, { action: 'reset', source: actor, reason, messageId, at: now });
    return changed ? { changed: true, action: 'reset' } : { changed: false };
  }

  /** The audit trail of a feature's breaker, oldest first. */
  async history(application: string, feature: string): Promise<BreakerAuditEntry[]> {
    const out = await this.client.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :audit)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': { S: breakerPartitionKey(application, feature) }, ':audit': { S: AUDIT } },
    }));
    return (out.Items ?? []).map((item) => ({
      feature,
      at: item.at?.S ?? '',
      action: item.action?.S as BreakerAction,
      source: item.source?.S ?? '',
      reason: item.reason?.S ?? '',
      ...(item.period?.S ? { period: item.period.S } : {}),
      ...(item.messageId?.S ? { messageId: item.messageId.S } : {}),
    }));
  }

  // One conditional update of the state and the put of its audit item; false when the condition said "already so".
  private async transact(feature: string, update: NonNullable<TransactWriteItem['Update']>, audit: Omit<BreakerAuditEntry, 'feature'>): Promise<boolean> {
    const expiresAt = Math.floor(this.nowMs() / 1000) + 86_400 * (this.options.auditRetentionDays ?? DEFAULT_BREAKER_AUDIT_RETENTION_DAYS);
    const item: Record<string, AttributeValue> = {
      [PK]: update.Key![PK],
      [SK]: { S: `${AUDIT}${audit.at}#${String(++this.sequence).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}` },
      feature: { S: feature },
      at: { S: audit.at },
      action: { S: audit.action },
      source: { S: audit.source },
      reason: { S: audit.reason },
      [TTL]: { N: String(expiresAt) },
    };
    if (audit.period) item.period = { S: audit.period };
    if (audit.messageId) item.messageId = { S: audit.messageId };
    try {
      await this.client.send(new TransactWriteItemsCommand({
        TransactItems: [
          { Update: update },
          { Put: { TableName: this.tableName, Item: item, ConditionExpression: `attribute_not_exists(${SK})` } },
        ],
      }));
      return true;
    } catch (error) {
      if (isConditionCancelled(error)) return false;
      throw error;
    }
  }

  // Advances the source's last transition time without changing the state; a no-op for an older or unordered signal.
  private async recordSignal(pk: string, order: SignalOrder): Promise<void> {
    if (!order.set) return;
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.stateKey(pk),
        UpdateExpression: `SET ${order.set.slice(2)}`,
        ConditionExpression: order.condition.slice(5),
        ExpressionAttributeNames: order.names,
        ExpressionAttributeValues: order.values,
      }));
    } catch (error) {
      if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  private stateKey(pk: string): Record<string, AttributeValue> {
    return { [PK]: { S: pk }, [SK]: { S: STATE } };
  }

  private nowMs(): number {
    return (this.options.now ?? Date.now)();
  }

  private nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }
}

/** The expression fragments that order a source's transitions by their own time (empty when unordered). */
interface SignalOrder {
  /** `, #sig = :sigAt` */
  readonly set: string;
  /** ` AND (attribute_not_exists(#sig) OR #sig < :sigAt)` */
  readonly condition: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
}

// The state item keeps, per ordered source, the time of the last transition applied (`signal:<source>`).
function signalOrder(source: string, signalAt: string | undefined): SignalOrder {
  if (signalAt === undefined) return { set: '', condition: '', names: {}, values: {} };
  return {
    set: ', #sig = :sigAt',
    condition: ' AND (attribute_not_exists(#sig) OR #sig < :sigAt)',
    names: { '#sig': `${SIGNAL_PREFIX}${source}` },
    values: { ':sigAt': { S: signalAt } },
  };
}

const SIGNAL_PREFIX = 'signal:';

function featureOf(application: string, pk: string | undefined): string | undefined {
  const prefix = `${application}#`;
  return pk?.startsWith(prefix) ? pk.slice(prefix.length) : undefined;
}

function stateOf(feature: string, item: Record<string, AttributeValue>): BreakerStateItem {
  return {
    feature,
    status: item.status?.S === 'open' ? 'open' : 'closed',
    sources: item.sources?.SS ?? [],
    ...(item.openedAt?.S ? { openedAt: item.openedAt.S } : {}),
    ...(item.reason?.S ? { reason: item.reason.S } : {}),
    ...(item.source?.S ? { source: item.source.S } : {}),
    ...(item.period?.S ? { period: item.period.S } : {}),
    ...(item.updatedAt?.S ? { updatedAt: item.updatedAt.S } : {}),
  };
}

// A transaction cancelled only because the state's condition failed: the state already says what was asked.
function isConditionCancelled(error: unknown): boolean {
  const named = error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException';
  if (!named) return false;
  const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed') && reasons.every((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'None' || r.Code === undefined);
}
