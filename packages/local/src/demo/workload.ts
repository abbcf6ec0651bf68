/**
 * The demo workload: a day of a multi-tenant customer-support chat, shaped like the article's example. Every
 * request carries the ~4,250-token system prompt, RAG context (3 chunks, ~1,200 tokens), often a conversation
 * history (~2,000 tokens), and a message drawn 70/25/5 from simple/medium/complex questions; about 30% of the
 * requests repeat, exactly, an earlier request of the same tenant. Deterministic for a seed.
 */
import { canonicalJson } from '../../../../shared/core';
import type { HistoryTurn } from '../../../../lambda/pipeline/types';
import { conversationHistory, MAX_EXCHANGES } from './history';
import { ragContext, Topic } from './knowledge-base';
import { fillTemplate, MessageClass, questionTemplates } from './questions';
import { Random, seededRandom } from './random';
import { supportSystemPrompt } from './system-prompt';

/** The body of `POST /invoke`, as the support front end sends it. */
export interface InvokeBody {
  readonly tenantId: string;
  readonly userId: string;
  readonly system: string;
  readonly context: string;
  readonly history: ReadonlyArray<HistoryTurn>;
  readonly message: string;
}

/** One request of the workload. */
export interface WorkloadRequest {
  readonly index: number;
  readonly tenantId: string;
  readonly userId: string;
  readonly messageClass: MessageClass;
  readonly topic: Topic;
  /** Exchanges in the history (0 to 5). */
  readonly exchanges: number;
  /** For an exact repeat: the index of the request it repeats. */
  readonly repeatOf?: number;
  readonly body: InvokeBody;
}

/** How to shape the workload. */
export interface WorkloadOptions {
  readonly requests: number;
  readonly seed: number | string;
  /** Share of each message class. @default 70/25/5 */
  readonly mix?: Readonly<Record<MessageClass, number>>;
  /** Probability that a request repeats an earlier one of its tenant. @default 0.3 */
  readonly repeatRate?: number;
  /** Probability that a fresh request has no history. @default 0.4 */
  readonly noHistoryRate?: number;
}

/** The article's hybrid-routing split. */
export const DEFAULT_MIX: Readonly<Record<MessageClass, number>> = { simple: 0.7, medium: 0.25, complex: 0.05 };
export const DEFAULT_REPEAT_RATE = 0.3;

/** The customer organizations (tenants) of the support platform and their share of the traffic. */
export const TENANTS: Readonly<Record<string, number>> = {
  'acme-logistics': 35,
  'bluefin-health': 25,
  'cobalt-retail': 20,
  'delta-university': 12,
  'evergreen-legal': 8,
};
const USERS_PER_TENANT = 12;
// Attempts at a fresh request that no earlier request of the tenant already asked, before accepting a repeat.
const FRESH_ATTEMPTS = 20;

/** Generates the workload. */
export function generateWorkload(options: WorkloadOptions): WorkloadRequest[] {
  const { requests, seed } = options;
  if (!Number.isInteger(requests) || requests < 1) throw new RangeError(`requests must be a whole number of at least 1, got ${requests}`);
  const mix = options.mix ?? DEFAULT_MIX;
  const repeatRate = options.repeatRate ?? DEFAULT_REPEAT_RATE;
  const noHistoryRate = options.noHistoryRate ?? 0.4;
  const random = seededRandom(seed);
  const system = supportSystemPrompt();

  const out: WorkloadRequest[] = [];
  const originals = new Map<string, WorkloadRequest[]>();
  const seen = new Map<string, number>();

  for (let index = 0; index < requests; index++) {
    const tenantId = random.weighted(TENANTS);
    const userId = `${tenantId}-user-${String(random.int(1, USERS_PER_TENANT)).padStart(2, '0')}`;
    const earlier = originals.get(tenantId) ?? [];
    if (earlier.length > 0 && random.next() < repeatRate) {
      const original = random.pick(earlier);
      out.push({ ...original, index, userId, repeatOf: original.index, body: { ...original.body, userId } });
      continue;
    }
    const messageClass = random.weighted(mix);
    let request: WorkloadRequest | undefined;
    let duplicateOf: number | undefined;
    for (let attempt = 0; attempt < FRESH_ATTEMPTS; attempt++) {
      request = freshRequest(index, tenantId, userId, messageClass, system, noHistoryRate, random);
      duplicateOf = seen.get(requestKey(request.body));
      if (duplicateOf === undefined) break;
    }
    if (duplicateOf !== undefined) {
      // Every variant was taken: the tenant asks it again, which is a repeat too.
      out.push({ ...request!, repeatOf: duplicateOf });
      continue;
    }
    seen.set(requestKey(request!.body), index);
    originals.set(tenantId, [...earlier, request!]);
    out.push(request!);
  }
  return out;
}

function freshRequest(index: number, tenantId: string, userId: string, messageClass: MessageClass, system: string, noHistoryRate: number, random: Random): WorkloadRequest {
  const template = random.pick(questionTemplates(messageClass));
  const message = fillTemplate(template, random);
  const exchanges = random.next() < noHistoryRate ? 0 : random.int(1, MAX_EXCHANGES);
  const history = conversationHistory(template.topic, exchanges, random);
  return {
    index,
    tenantId,
    userId,
    messageClass,
    topic: template.topic,
    exchanges,
    body: { tenantId, userId, system, context: ragContext(template.topic), history, message },
  };
}

/** What makes two requests the same for the response cache (the user is not part of it). */
export function requestKey(body: InvokeBody): string {
  return canonicalJson({ tenant: body.tenantId, system: body.system, context: body.context, history: body.history, message: body.message });
}

/** Counts per class, repeats and history, for reports and tests. */
export function describeWorkload(workload: ReadonlyArray<WorkloadRequest>): {
  requests: number; classes: Record<MessageClass, number>; repeats: number; withHistory: number; tenants: number;
} {
  const classes: Record<MessageClass, number> = { simple: 0, medium: 0, complex: 0 };
  let repeats = 0;
  let withHistory = 0;
  for (const r of workload) {
    classes[r.messageClass]++;
    if (r.repeatOf !== undefined) repeats++;
    if (r.body.history.length > 0) withHistory++;
  }
  return { requests: workload.length, classes, repeats, withHistory, tenants: new Set(workload.map((r) => r.tenantId)).size };
}
