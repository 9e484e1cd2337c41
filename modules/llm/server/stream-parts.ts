/**
 * The two small parts of a streamed answer (api.ts): the channel from node-llama-cpp's text
 * callback to the events' generator, and the wrapper that cleans up a stream closed before it began.
 */

/**
 * A generator closed before its first next() never runs its body, so its `finally` cannot stop the
 * generation and free the slot: this wrapper does that case (the kit closes a stream whose client
 * left before it began).
 */
export function startedOrCleaned(
  gen: AsyncGenerator<string>,
  cleanup: () => Promise<void>,
): AsyncIterable<string> {
  let started = false;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        started = true;
        return gen.next();
      },
      return: async () => {
        if (!started) await cleanup();
        return gen.return(undefined);
      },
    }),
  };
}

/** Pushes text chunks from the engine's callback to an async generator. */
export function channel() {
  const items: string[] = [];
  let wake: (() => void) | undefined;
  return {
    push(t: string) {
      items.push(t);
      wake?.();
    },
    take(): string[] {
      return items.splice(0);
    },
    wait(p: Promise<unknown>): Promise<unknown> {
      if (items.length) return Promise.resolve();
      return Promise.race([p, new Promise<void>((r) => (wake = r))]);
    },
  };
}
