/**
 * What a chat and a plain completion pass node-llama-cpp alike (sampling, grammar, abort, streamed
 * text), and how its answer becomes a Generation. Separate from engine.ts, which keeps the model,
 * its sequences and the prompt's checks: this part only maps a request to node-llama-cpp's options
 * and its result back, the same for both endpoints.
 */
import type { LlamaGrammar } from 'node-llama-cpp';
import type { Deadline } from './deadline.js';
import type { Generation, Sampling } from './engine-types.js';
import { callsOf } from './tool-chat.js';

/** What node-llama-cpp answers for a generation stopped by its signal before any text. */
export const aborted = { response: '', metadata: { stopReason: 'abort' } };

/**
 * The options of one generation and its answer with the tokens generated, counted as they come
 * (`count` adds them to the engine's total too).
 */
export function generation(
  s: Sampling,
  d: Deadline,
  onText: (text: string) => void,
  count: (n: number) => void,
) {
  let completionTokens = 0;
  const options = (maxTokens: number, grammar: LlamaGrammar | undefined) => ({
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
    onTextChunk: onText,
    onToken: (t: readonly unknown[]) => {
      completionTokens += t.length;
      count(t.length);
    },
  });
  const finish = (
    r: {
      response: string;
      metadata: { stopReason: string };
      functionCalls?: { functionName: string; params: unknown }[];
    },
    promptTokens: number,
  ): Generation => {
    const timedOut = r.metadata.stopReason === 'abort' && d.passed();
    // A client that left: an abort, as without stopOnAbortSignal (its answer goes nowhere).
    if (r.metadata.stopReason === 'abort' && !timedOut) throw d.clientReason();
    const toolCalls = callsOf(r);
    return {
      text: r.response,
      ...(toolCalls ? { toolCalls } : {}),
      finishReason: toolCalls
        ? 'tool_calls'
        : timedOut || r.metadata.stopReason === 'maxTokens'
          ? 'length'
          : 'stop',
      timedOut,
      promptTokens,
      completionTokens,
    };
  };
  return { options, finish };
}
