/**
 * The service log's lines about requests (`blueprint service logs llm`): what an operator needs to
 * tell what happened (each answer's model, tokens and pace; each refusal and why; a client that
 * left), never the prompt or the answer. Through the kit's rate-limited events: the first of a kind
 * in a window is written, the rest counted ("answered × 41 more in the last 10 s (last: …)").
 */
import type { HttpError, KitLog } from '../../kit/server/index.js';
import type { Generation } from './engine.js';

/**
 * The most of a refusal's message logged. Its words are the API's own (numbers, field names, a
 * model name cut to 64 characters), never the prompt's text.
 */
const MAX_MESSAGE = 300;

/** A 4xx answer (the kit logs 5xx itself). */
export function logRefusal(log: KitLog, err: HttpError, path: string): void {
  if (err.status >= 500) return;
  const message = err.message.length > MAX_MESSAGE ? `${err.message.slice(0, MAX_MESSAGE)}…` : err.message;
  log.event(
    `refused ${err.status}`,
    `refused ${err.status} ${path}${err.param ? ` (${err.param})` : ''}: ${message}`,
  );
}

/** A generation that ended (whole or streamed): `startedMs` is when it got its slot (performance.now()). */
export function logAnswer(log: KitLog, path: string, model: string, g: Generation, startedMs: number): void {
  const seconds = (performance.now() - startedMs) / 1000;
  const pace = seconds > 0 ? g.completionTokens / seconds : 0;
  log.event(
    'answered',
    `${path}: ${model} answered: ${g.promptTokens} prompt tokens, ${g.completionTokens} generated in ${seconds.toFixed(2)} s (${pace.toFixed(1)} tokens/s), finish ${g.finishReason}${g.timedOut ? ' at its deadline' : ''}`,
  );
}

/**
 * A client that left before its answer's end: its generation was stopped at the next token, after
 * `tokens` (0: before any, the answer not begun).
 */
export function logClientLeft(log: KitLog, path: string, model: string, tokens: number): void {
  const when = tokens > 0 ? `after ${tokens} token${tokens === 1 ? '' : 's'}` : 'before the answer';
  log.event('client left', `${path}: ${model}: the client left ${when}; its generation stopped`);
}
