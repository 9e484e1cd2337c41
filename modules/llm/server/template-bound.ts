/**
 * A model's chat template (Jinja, from its package's chat_template.jinja or its GGUF) is rendered
 * by node-llama-cpp in JavaScript on the event loop. A model is a package anyone can make
 * (`blueprint model import` takes a GGUF from a stick), and its template ran unbounded: one that
 * loops held /health, every client and SIGTERM for as long as it liked (413 s in the test), on
 * every chat and at start; one that repeats the messages made a prompt of any size, tokenised on
 * the event loop next (1.4 million characters: 4.4 s). Each rendering now runs under a deadline
 * (node's vm `timeout`: V8 terminates whatever JavaScript runs past it, node-llama-cpp's and the
 * Jinja interpreter's included) and its text has a size bound.
 *
 * Not bounded: node-llama-cpp falls back to llama.cpp's native Jinja renderer for a template its
 * JavaScript one cannot parse, and native code is not interrupted; memory a template allocates
 * within its deadline.
 */
import vm from 'node:vm';
import type { ChatWrapper, LlamaText } from 'node-llama-cpp';
import { intFromEnv } from '../../kit/server/index.js';

/**
 * How long one rendering of a chat may take (`LLM_TEMPLATE_RENDER_MS`, 2,000 by default). Real
 * templates render in a few milliseconds, but the deadline is wall time: at 250 ms a one-line chat
 * on the tiny llama was refused as a looping template while the 2-core test machine ran at load
 * 10-12, so the default leaves a busy box room, and a template that loops costs at most this much
 * of the event loop a chat (the first rendering past it ends the chat).
 */
export const TEMPLATE_RENDER_MS = intFromEnv('LLM_TEMPLATE_RENDER_MS', 2_000);
/** How long node-llama-cpp's checks of a template at load may take (dozens of renderings). */
export const TEMPLATE_LOAD_MS = 30_000;
/** Characters a template may add to the messages' own (role markers, a system prompt of its own). */
export const TEMPLATE_OWN_CHARS = 16_384;

/** A chat template past its deadline or its size bound (a 400 naming the template). */
export class TemplateError extends Error {}

const script = new vm.Script('run()');
const sandbox = vm.createContext({ run: undefined });

/** `fn()` stopped after `ms`: a TemplateError saying so, `what` naming the rendering. */
export function withDeadline<T>(fn: () => T, ms: number, what: string): T {
  sandbox.run = fn;
  try {
    return script.runInContext(sandbox, { timeout: ms }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new TemplateError(
        `this model's chat template took more than ${ms} ms to render ${what} (a template that loops or repeats its input): check the model's chat_template.jinja`,
      );
    throw err;
  } finally {
    sandbox.run = undefined;
  }
}

/** Characters of a rendered prompt (its text and the special tokens' names). */
export function textLength(text: LlamaText): number {
  let n = 0;
  for (const v of text.values) n += typeof v === 'string' ? v.length : String(v.value ?? '').length;
  return n;
}

/**
 * Bounds every rendering of `wrapper` (the service's own count of a chat's tokens and
 * node-llama-cpp's alike) by TEMPLATE_RENDER_MS and its text by `maxChars()`.
 */
export function boundChatWrapper(wrapper: ChatWrapper, maxChars: () => number): ChatWrapper {
  const render = wrapper.generateContextState.bind(wrapper);
  wrapper.generateContextState = (state) => {
    const r = withDeadline(() => render(state), TEMPLATE_RENDER_MS, 'these messages');
    const chars = textLength(r.contextText);
    if (chars > maxChars())
      throw new TemplateError(
        `this model's chat template made a prompt of ${chars} characters from these messages; at most ${maxChars()} are tokenised: send fewer or shorter messages, or check the model's chat_template.jinja`,
      );
    return r;
  };
  return wrapper;
}
