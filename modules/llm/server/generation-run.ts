/**
 * What both of the llm service's APIs (OpenAI's, api.ts; Ollama's, ollama-api.ts) do with one
 * generation: hold a slot of the kit's fair queue, run it on the engine with the deadline and the
 * client's signal, log it, turn the engine's 400s into HttpErrors, and stream its text. Only the
 * wire format differs (server-sent events, NDJSON lines): the caller's `StreamFormat`.
 */
import { HttpError, type KitLog, type RequestContext } from '../../kit/server/index.js';
import {
  ContextOverflowError,
  type Generation,
  type Sampling,
  SchemaError,
  TemplateError,
} from './engine.js';
import { ClientLeftError } from './engine-types.js';
import { bad } from './request.js';
import { logAnswer, logClientLeft } from './request-log.js';
import { channel, startedOrCleaned } from './stream-parts.js';

/** Holds a slot of the kit's fair queue until release() (a stream keeps it until its generation ends). */
export function acquire(ctx: RequestContext): Promise<() => void> {
  return new Promise((got, fail) => {
    ctx.queue(() => new Promise<void>((release) => got(release))).catch(fail);
  });
}

/** A generation on an engine: the text's callback given, or none for a whole answer. */
export type Work = (signal: AbortSignal, onText?: (t: string) => void) => Promise<Generation>;

export interface RunLabels {
  /** The route, for the log (`/v1/chat/completions`, `/api/chat`). */
  path: string;
  model: string;
  /** The field named by a prompt the engine refuses (`messages`, `prompt`). */
  promptParam: string;
  /** The field named by a schema the grammar builder cannot take (`response_format`, `format`). */
  schemaParam: string;
}

/** Runs `work`, logging its answer (or the client's leaving) and mapping the engine's 400s. */
export function runGeneration(
  log: KitLog,
  labels: RunLabels,
  s: Sampling,
  work: Work,
  signal: AbortSignal,
  onText?: (t: string) => void,
): Promise<Generation> {
  const started = performance.now();
  return work(signal, onText).then(
    (g) => {
      if (g.timedOut)
        log.event(
          'generation deadline',
          `${labels.path}: generation stopped at its deadline (${(s.timeoutMs ?? 0) / 1000} s) after ${g.completionTokens} tokens`,
        );
      logAnswer(log, labels.path, labels.model, g, started);
      return g;
    },
    (err: unknown) => {
      const left = err instanceof ClientLeftError ? err : undefined;
      if (signal.aborted) logClientLeft(log, labels.path, labels.model, left?.completionTokens ?? 0);
      // The signal's own reason, as node-llama-cpp throws it when nothing was generated yet.
      if (left) throw left.reason;
      if (err instanceof ContextOverflowError) throw bad(err.message, labels.promptParam);
      if (err instanceof SchemaError) throw bad(err.message, err.param ?? labels.schemaParam);
      if (err instanceof TemplateError) throw bad(err.message, labels.promptParam);
      throw err;
    },
  );
}

/** The text of a streamed answer, in one API's wire format. */
export interface StreamFormat {
  /** Written before the first text (OpenAI's chunk with the role). */
  first?: string;
  text(t: string): string;
  /** The last events of an answer that ended. */
  end(g: Generation): string[];
  /** The event for an error after the answer began (its status line was sent already). */
  error(e: HttpError): string;
}

/**
 * Starts a streamed generation and waits for its first text (or its end) before any header is
 * sent, so a request refused by the engine (context overflow, a schema the grammar builder
 * cannot take) is still a plain 400, not an error event inside a 200 stream. `release` frees the
 * slot held (acquire()).
 */
export async function streamGeneration(
  log: KitLog,
  labels: RunLabels,
  s: Sampling,
  work: Work,
  ctx: RequestContext,
  release: () => void,
  format: StreamFormat,
): Promise<AsyncIterable<string>> {
  const abort = new AbortController();
  const onGone = () => abort.abort();
  ctx.signal.addEventListener('abort', onGone, { once: true });
  const ch = channel();
  let result: Generation | undefined;
  let failure: unknown;
  const done = runGeneration(log, labels, s, work, abort.signal, (t) => ch.push(t)).then(
    (g) => {
      result = g;
    },
    (err: unknown) => {
      failure = err;
    },
  );
  // The slot is the generation's, not the connection's: freed once the generation ends, not
  // once its last event is written. A client that stops reading then holds only its text (at
  // most max_tokens, in `ch`), and the kit's idle sweep closes its connection (one that holds
  // work is spared, so a held slot kept a stalled stream, and every other generation, waiting).
  void done.then(release);
  let cleaned: Promise<void> | undefined;
  // The client left (or the stream ended): stop generating (which frees the slot). Once.
  const cleanup = () =>
    (cleaned ??= (async () => {
      abort.abort();
      ctx.signal.removeEventListener('abort', onGone);
      await done;
    })());
  await ch.wait(done);
  if (failure) {
    await cleanup();
    throw failure;
  }
  async function* events() {
    try {
      if (format.first !== undefined) yield format.first;
      for (;;) {
        // Text that arrived while the last event was written goes out as one event: fewer
        // writes when the engine is faster than the socket.
        const t = ch.take().join('');
        if (t) yield format.text(t);
        if (result || failure) break;
        await ch.wait(done);
      }
      const rest = ch.take().join('');
      if (rest) yield format.text(rest);
      if (failure) {
        const e =
          failure instanceof HttpError
            ? failure
            : new HttpError(500, `internal error: ${(failure as Error).message}`);
        log.event(`stream error ${e.status}`, `${ctx.path}: error during a stream: ${e.message}`);
        yield format.error(e);
      } else if (result) {
        for (const line of format.end(result)) yield line;
      }
    } finally {
      await cleanup();
    }
  }
  return startedOrCleaned(events(), cleanup);
}
