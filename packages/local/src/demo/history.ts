/**
 * Earlier turns of a support conversation: the customer's previous questions and the assistant's answers, which
 * a chat front end resends with every new message (the article's "conversation history" multiplier).
 */
import { estimateTokens } from '../../../../shared/core';
import type { HistoryTurn } from '../../../../lambda/pipeline/types';
import { articleSentences, KNOWLEDGE_BASE, retrieve, Topic } from './knowledge-base';
import { allVariants, SIMPLE_QUESTIONS } from './questions';
import type { Random } from './random';

/** Tokens (by `estimateTokens`) of a whole history, when there is one. */
export const HISTORY_TOKENS = 2_000;
/** Most exchanges (a user turn and the assistant's answer) a history holds. */
export const MAX_EXCHANGES = 5;

const OPENERS = ['Thanks for reaching out.', 'Happy to help with that.', 'Good question.', 'Thanks for the details.', 'I can help with that.'];
const CHECKS = ['Did that solve it?', 'Does that answer your question?', 'Is there anything else I can check for you?', 'Let me know if that works for you.'];

/**
 * A history of `exchanges` user/assistant pairs about `topic` (and its related articles), about
 * {@link HISTORY_TOKENS} tokens in all; an empty array for 0 exchanges.
 */
export function conversationHistory(topic: Topic, exchanges: number, random: Random): HistoryTurn[] {
  if (exchanges <= 0) return [];
  const topics = retrieve(topic).map((c) => c.topic);
  const budget = Math.floor(HISTORY_TOKENS / exchanges);
  const turns: HistoryTurn[] = [];
  for (let i = 0; i < exchanges; i++) {
    const about = topics[i % topics.length];
    const question = earlierQuestion(about, random);
    turns.push({ role: 'user', content: question });
    turns.push({ role: 'assistant', content: assistantAnswer(about, budget - estimateTokens(question), random) });
  }
  return turns;
}

function earlierQuestion(topic: Topic, random: Random): string {
  const templates = SIMPLE_QUESTIONS.filter((q) => q.topic === topic && q.text !== 'Hello' && !q.text.startsWith('Thanks'));
  return random.pick(allVariants(random.pick(templates)));
}

/** An answer in the assistant's style (cited article sentences, a check question) of about `tokens` tokens. */
function assistantAnswer(topic: Topic, tokens: number, random: Random): string {
  const check = random.pick(CHECKS);
  // The topic's own sentences first, then the rest of the knowledge base, for the rare answer longer than an article.
  const ordered = [...KNOWLEDGE_BASE.filter((c) => c.topic === topic), ...KNOWLEDGE_BASE.filter((c) => c.topic !== topic)];
  const pool = ordered.flatMap((c) => articleSentences(c.topic).map((sentence) => `${sentence} [${c.id}]`));
  const parts = [random.pick(OPENERS)];
  const start = random.int(0, 2);
  // Summing the parts' estimates (instead of re-estimating the growing text) keeps generation linear.
  let used = estimateTokens(parts[0]) + estimateTokens(check);
  for (let i = 0; used < tokens && i < pool.length; i++) {
    const sentence = pool[(start + i) % pool.length];
    parts.push(sentence);
    used += estimateTokens(sentence);
  }
  parts.push(check);
  return parts.join(' ');
}
