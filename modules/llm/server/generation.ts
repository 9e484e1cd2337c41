/**
 * What a chat and a plain completion pass node-llama-cpp alike (sampling, grammar, abort, streamed
 * text), and how its answer becomes a Generation. Separate from engine.ts, which keeps the model,
 * its sequences and the prompt's checks: this part only maps a request to node-llama-cpp's options
 * and its result back, the same for both endpoints.
 */
import type { LlamaContextSequence, LlamaGrammar } from 'node-llama-cpp';
import type { Deadline } from './deadline.js';
import { ClientLeftError, type Generation, type Sampling } from './engine-types.js';
import { callsOf } from './tool-chat.js';

/** What node-llama-cpp answers for a generation stopped by its signal before any text. */
export const aborted = { response: '', metadata: { stopReason: 'abort' } };

/**
 * The options of one generation and its answer with the tokens generated, counted from the
 * sequence (`count` adds them to the engine's total too).
 *
 * Counted from the sequence's token meter, not node-llama-cpp's onToken: that hands over tokens as
 * the text is cut into chunks (a chat's text re-tokenised around its stop triggers, a character of
 * several byte tokens whole), 3 or 4 for a `max_tokens` of 2. The meter counts every token sampled
 * (each sample is one output of a decode), the end-of-generation token included. LlamaCompletion
 * also samples past maxTokens when the token at the limit is part of a character, to finish it: that
 * character (the text chunk whose tokens pass the limit) is left out of the answer and the tokens
 * past the limit are not counted, as llama.cpp's server stops at n_predict inside a character.
 */
export function generation(
  s: Sampling,
  d: Deadline,
  onText: (text: string) => void,
  count: (n: number) => void,
) {
  /** Tokens sampled for this answer so far (none before options() is given its sequence). */
  let sampled = () => 0;
  let limit = Number.POSITIVE_INFINITY;
  let counted = 0;
  /** Past the limit: the text that arrives now is not the answer's. */
  let past = false;
  let dropped = '';
  const tally = () => {
    const n = Math.min(sampled(), limit);
    count(n - counted);
    counted = n;
  };
  const options = (maxTokens: number, grammar: LlamaGrammar | undefined, seq: LlamaContextSequence) => {
    const base = seq.tokenMeter.usedOutputTokens;
    sampled = () => seq.tokenMeter.usedOutputTokens - base;
    limit = maxTokens;
    return {
      maxTokens,
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      seed: s.seed,
      // No further back than the answer can reach: node-llama-cpp sizes its window by lastTokens.
      repeatPenalty: s.repeat && { ...s.repeat, lastTokens: Math.min(s.repeat.lastTokens, maxTokens) },
      customStopTriggers: s.stop.length ? s.stop : undefined,
      grammar,
      signal: d.signal,
      // The text so far comes back at an abort: the answer of a generation past its deadline.
      stopOnAbortSignal: true,
      // onToken comes just before the same tokens' text (onTextChunk).
      onToken: () => {
        if (sampled() > limit) past = true;
        tally();
      },
      onTextChunk: (t: string) => {
        if (past) dropped += t;
        else onText(t);
      },
    };
  };
  const finish = (
    r: {
      response: string;
      metadata: { stopReason: string };
      functionCalls?: { functionName: string; params: unknown }[];
    },
    promptTokens: number,
  ): Generation => {
    const timedOut = r.metadata.stopReason === 'abort' && d.passed();
    tally();
    // A client that left: an abort, as without stopOnAbortSignal (its answer goes nowhere), saying
    // how many tokens it had had.
    if (r.metadata.stopReason === 'abort' && !timedOut) throw new ClientLeftError(d.clientReason(), counted);
    const toolCalls = callsOf(r);
    const text = dropped && r.response.endsWith(dropped) ? r.response.slice(0, -dropped.length) : r.response;
    return {
      text,
      ...(toolCalls ? { toolCalls } : {}),
      finishReason: toolCalls
        ? 'tool_calls'
        : timedOut || r.metadata.stopReason === 'maxTokens'
          ? 'length'
          : 'stop',
      timedOut,
      promptTokens,
      completionTokens: counted,
    };
  };
  return { options, finish };
}
