/** Placeholder until the tokenizer-verified bound lands: UTF-8 bytes never undercount a byte-level BPE. */
export function boundTokens(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
