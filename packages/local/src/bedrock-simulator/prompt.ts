import { validationError } from './errors';
import { sha256Hex } from './random';
import { countTokens } from './tokenizer';

// Fixed costs for content the simulator does not look inside. Real models charge by image area or media
// length; a constant keeps usage deterministic while still making such blocks expensive.
const IMAGE_TOKENS = 1_600;
const MEDIA_TOKENS = 2_000;
const UNREADABLE_DOCUMENT_TOKENS = 1_000;
/** Per-message overhead for role and turn markers, as chat templates add. */
export const MESSAGE_OVERHEAD_TOKENS = 3;
/** Bedrock accepts at most this many cache checkpoints per request. */
export const MAX_CACHE_POINTS = 4;

/** Cache TTLs Bedrock accepts on a cachePoint. */
export type CacheTtl = '5m' | '1h';

const TTL_ORDER: Record<CacheTtl, number> = { '1h': 2, '5m': 1 };

/** A cache point and the prompt prefix that precedes it. */
export interface CachePointMark {
  /** Tokens in the prefix before the cache point (tools, then system, then messages). */
  readonly prefixTokens: number;
  /** Identity of the prefix: equal hashes mean byte-identical prefixes. */
  readonly prefixHash: string;
  /** TTL requested for the cache entry. */
  readonly ttl: CacheTtl;
}

/** What the simulator needs to know about a converse-shaped prompt. */
export interface PromptAnalysis {
  /** Tokens of the whole prompt: tools, system blocks, and messages with their overhead. */
  readonly totalTokens: number;
  /** Cache points in prompt order. */
  readonly cachePoints: ReadonlyArray<CachePointMark>;
  /** Text of the last user message, which seeds the simulated answer. */
  readonly lastUserText: string;
}

/** The converse-shaped fields the simulator reads (Converse request or CountTokens `converse` input). */
export interface ConverseShape {
  readonly messages?: unknown;
  readonly system?: unknown;
  readonly toolConfig?: unknown;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function json(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

// Smithy unions are objects with exactly one member set; anything else cannot have come from an SDK.
function unionMember(value: unknown, where: string): [string, unknown] {
  if (!isObject(value)) throw validationError(`${where} must be an object.`);
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length !== 1) throw validationError(`${where} must set exactly one member, found ${entries.length}.`);
  return entries[0];
}

function decodeBase64Text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

function documentTokens(doc: unknown): number {
  if (!isObject(doc)) return UNREADABLE_DOCUMENT_TOKENS;
  const source = isObject(doc.source) ? doc.source : {};
  const name = countTokens(str(doc.name));
  if (typeof source.text === 'string') return name + countTokens(source.text);
  if (Array.isArray(source.content)) return name + source.content.reduce<number>((sum, c) => sum + (isObject(c) ? countTokens(str(c.text)) : 0), 0);
  const fmt = str(doc.format);
  const decoded = decodeBase64Text(source.bytes);
  // Only plain-text formats can be counted from their bytes; binary formats get a flat estimate.
  if (decoded !== undefined && ['txt', 'md', 'csv', 'html'].includes(fmt)) return name + countTokens(decoded);
  return name + UNREADABLE_DOCUMENT_TOKENS;
}

function toolResultTokens(result: unknown): number {
  if (!isObject(result) || !Array.isArray(result.content)) return 0;
  return result.content.reduce<number>((sum, block, i) => {
    const [kind, value] = unionMember(block, `toolResult.content[${i}]`);
    switch (kind) {
      case 'text':
        return sum + countTokens(str(value));
      case 'image':
        return sum + IMAGE_TOKENS;
      case 'document':
        return sum + documentTokens(value);
      case 'video':
        return sum + MEDIA_TOKENS;
      default:
        return sum + countTokens(json(value));
    }
  }, 0);
}

function contentBlockTokens(kind: string, value: unknown): number {
  const v = isObject(value) ? value : {};
  switch (kind) {
    case 'text':
      return countTokens(str(value));
    case 'image':
      return IMAGE_TOKENS;
    case 'video':
    case 'audio':
      return MEDIA_TOKENS;
    case 'document':
      return documentTokens(value);
    case 'toolUse':
      return countTokens(str(v.name)) + countTokens(json(v.input));
    case 'toolResult':
      return toolResultTokens(value);
    case 'guardContent':
      return countTokens(str(isObject(v.text) ? v.text.text : undefined));
    case 'reasoningContent':
      return countTokens(str(isObject(v.reasoningText) ? v.reasoningText.text : undefined));
    default:
      return countTokens(json(value));
  }
}

function userText(content: ReadonlyArray<unknown>): string {
  const texts: string[] = [];
  for (const block of content) {
    if (!isObject(block)) continue;
    if (typeof block.text === 'string') texts.push(block.text);
    if (isObject(block.toolResult) && Array.isArray(block.toolResult.content)) {
      for (const c of block.toolResult.content) if (isObject(c) && typeof c.text === 'string') texts.push(c.text);
    }
  }
  return texts.length > 0 ? texts.join('\n') : json(content);
}

/**
 * Walks a prompt in the order Bedrock builds the model input (tools, system, messages), counting tokens
 * and chaining a hash over every block, so each cache point knows the size and identity of its prefix.
 */
class PromptWalker {
  private tokens = 0;
  private hash = sha256Hex('prompt');
  private readonly marks: CachePointMark[] = [];

  public add(tokens: number, identity: string): void {
    this.tokens += tokens;
    this.hash = sha256Hex(this.hash, identity);
  }

  public cachePoint(value: unknown, where: string): void {
    if (!isObject(value) || value.type !== 'default') throw validationError(`${where}.cachePoint.type must be 'default'.`);
    const ttl = value.ttl ?? '5m';
    if (ttl !== '5m' && ttl !== '1h') throw validationError(`${where}.cachePoint.ttl must be '5m' or '1h', got '${String(ttl)}'.`);
    const previous = this.marks[this.marks.length - 1];
    if (previous && TTL_ORDER[ttl] > TTL_ORDER[previous.ttl]) {
      throw validationError('Cache point TTLs must not increase: a cache point with a longer TTL cannot follow one with a shorter TTL.');
    }
    this.marks.push({ prefixTokens: this.tokens, prefixHash: this.hash, ttl });
    if (this.marks.length > MAX_CACHE_POINTS) {
      throw validationError(`A request can contain at most ${MAX_CACHE_POINTS} cache points, found more.`);
    }
  }

  public result(lastUserText: string): PromptAnalysis {
    return { totalTokens: this.tokens, cachePoints: this.marks, lastUserText };
  }
}

function walkTools(walker: PromptWalker, toolConfig: unknown): void {
  if (toolConfig === undefined || toolConfig === null) return;
  if (!isObject(toolConfig) || !Array.isArray(toolConfig.tools)) throw validationError('toolConfig.tools must be a list.');
  toolConfig.tools.forEach((tool, i) => {
    const where = `toolConfig.tools[${i}]`;
    const [kind, value] = unionMember(tool, where);
    if (kind === 'cachePoint') return walker.cachePoint(value, where);
    const spec = isObject(value) ? value : {};
    const schema = isObject(spec.inputSchema) ? spec.inputSchema.json : undefined;
    const tokens = countTokens(str(spec.name)) + countTokens(str(spec.description)) + countTokens(json(schema));
    walker.add(tokens, `tool:${kind}:${json(value)}`);
  });
}

function walkSystem(walker: PromptWalker, system: unknown): void {
  if (system === undefined || system === null) return;
  if (!Array.isArray(system)) throw validationError('system must be a list of content blocks.');
  system.forEach((block, i) => {
    const where = `system[${i}]`;
    const [kind, value] = unionMember(block, where);
    if (kind === 'cachePoint') return walker.cachePoint(value, where);
    walker.add(contentBlockTokens(kind, value), `system:${kind}:${json(value)}`);
  });
}

function walkMessages(walker: PromptWalker, messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) throw validationError('messages must contain at least one message.');
  let lastUserText = '';
  messages.forEach((message, i) => {
    const where = `messages[${i}]`;
    if (!isObject(message)) throw validationError(`${where} must be an object.`);
    const role = message.role;
    if (role !== 'user' && role !== 'assistant') throw validationError(`${where}.role must be 'user' or 'assistant'.`);
    if (i === 0 && role !== 'user') {
      throw validationError('A conversation must start with a user message. Try again with a conversation that starts with a user message.');
    }
    if (i > 0 && (messages[i - 1] as Json).role === role) {
      throw validationError(
        'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
      );
    }
    const content = message.content;
    if (!Array.isArray(content) || content.length === 0) throw validationError(`${where}.content must contain at least one content block.`);
    walker.add(MESSAGE_OVERHEAD_TOKENS, `message:${role}`);
    content.forEach((block, j) => {
      const blockWhere = `${where}.content[${j}]`;
      const [kind, value] = unionMember(block, blockWhere);
      if (kind === 'cachePoint') return walker.cachePoint(value, blockWhere);
      walker.add(contentBlockTokens(kind, value), `${kind}:${json(value)}`);
    });
    if (role === 'user') lastUserText = userText(content);
  });
  return lastUserText;
}

/**
 * Counts a converse-shaped prompt and locates its cache points.
 *
 * @throws BedrockError (ValidationException) for shapes Bedrock would reject
 */
export function analysePrompt(input: ConverseShape): PromptAnalysis {
  const walker = new PromptWalker();
  walkTools(walker, input.toolConfig);
  walkSystem(walker, input.system);
  const lastUserText = walkMessages(walker, input.messages);
  return walker.result(lastUserText);
}
