/**
 * The prompt's evaluation in slices, the generation's deadline looked at between them.
 *
 * node-llama-cpp looks at a generation's abort signal only between generated tokens: the prompt is
 * evaluated before that, in one call that decodes batch after batch natively, so a long prompt held
 * the generation slot (and every client queued behind it) past LLM_GENERATION_TIMEOUT_S for as long
 * as its evaluation took: minutes for a 7B model on a CPU with a context of 32,768 tokens. Here all
 * of the prompt but its last token is evaluated into the sequence first, a slice at a time; LlamaChat
 * and LlamaCompletion then find it in the sequence and keep it (they keep the longest prefix the
 * sequence already holds, and evaluate the last token themselves to get the first token's logits).
 */
import type { LlamaContextSequence, Token } from 'node-llama-cpp';

/** How long one slice should take: the deadline is overshot by about this much at most. */
export const SLICE_MS = 200;
const FIRST_SLICE = 32;
const MIN_SLICE = 8;

/**
 * Evaluates `tokens` but the last into `seq` (what it holds of them already is kept), slice by
 * slice, each sized from the last one's pace to take about SLICE_MS, at most the context's batch.
 * Returns false, with what was evaluated left in the sequence, once `signal` is aborted.
 */
export async function prefill(
  seq: LlamaContextSequence,
  tokens: readonly Token[],
  signal: AbortSignal,
): Promise<boolean> {
  const end = tokens.length - 1;
  const held = seq.contextTokens;
  let at = 0;
  while (at < end && at < held.length && held[at] === tokens[at]) at++;
  if (at < seq.nextTokenIndex) await seq.eraseContextTokenRanges([{ start: at, end: seq.nextTokenIndex }]);
  const maxSlice = Math.max(MIN_SLICE, seq.context.batchSize);
  let slice = Math.min(FIRST_SLICE, maxSlice);
  while (at < end) {
    if (signal.aborted) return false;
    const part = tokens.slice(at, Math.min(end, at + slice));
    const t0 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(part);
    const ms = Math.max(1, performance.now() - t0);
    at += part.length;
    slice = Math.max(MIN_SLICE, Math.min(maxSlice, Math.round((part.length * SLICE_MS) / ms)));
  }
  return !signal.aborted;
}
