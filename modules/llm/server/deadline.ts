/**
 * A generation's deadline (LLM_GENERATION_TIMEOUT_S, or a request's smaller generation_timeout_s):
 * one generation holds its sequence, and every other client waits in the queue behind it, so a
 * long answer (a large max_tokens, a grammar that never lets the answer end) must not hold it for
 * as long as it likes.
 */
/** The reason a generation's deadline aborts it with (never thrown out of the engine). */
class GenerationTimeout extends Error {}

/**
 * The client's signal joined with the generation's deadline. node-llama-cpp looks at the signal
 * before each token is evaluated; with stopOnAbortSignal it then returns the text so far, and its
 * native work is over. The prompt is evaluated before that, by prefill.ts, which looks at the same
 * signal between its slices (a slice's or a token's evaluation is not interrupted).
 */
export function deadline(timeoutMs: number | undefined, client: AbortSignal) {
  const timer = new AbortController();
  const t =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => timer.abort(new GenerationTimeout(`the generation's ${timeoutMs} ms passed`)),
          // Node fires a longer delay at once (after 1 ms): a cap of 25 days or more means 24.8.
          Math.min(timeoutMs, 2 ** 31 - 1),
        );
  return {
    signal: t === undefined ? client : AbortSignal.any([client, timer.signal]),
    /** The deadline passed, with the client still there (a client that left is an abort, as before). */
    passed: () => timer.signal.aborted && !client.aborted,
    /** Why the client's signal aborted (its own reason, whichever fired first). */
    clientReason: () => client.reason as unknown,
    clear: () => clearTimeout(t),
  };
}

export type Deadline = ReturnType<typeof deadline>;
