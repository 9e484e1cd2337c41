/**
 * POST /v1/chat/completions: the last user message is the query; the chunks retrieved for it go to
 * the llm module as a numbered context in the system message; its answer comes back in OpenAI's
 * shape with a top-level `sources` list (in a stream: on the first chunk). A context too long for
 * the model (llm's 400 context_length_exceeded) is retried with fewer chunks, then shorter ones;
 * `sources` names exactly the chunks the model was given.
 */
import type { IncomingMessage } from 'node:http';
import { ClientGoneError, HttpError, type Reply } from '../../kit/server/index.js';
import type { Rag, RetrievedChunk } from './rag.js';
import { readAll, type Upstream, UpstreamError, unavailable } from './upstream.js';

type Obj = Record<string, unknown>;
type Message = { role: string; content: unknown };

export interface Source {
  document: string;
  source: string;
  page: number | null;
  score: number;
}

/** The text of a message's content: a string, or OpenAI's text parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) => ((p as Obj)?.type === 'text' && typeof (p as Obj).text === 'string' ? (p as Obj).text : ''))
      .join('');
  return '';
}

export function lastUserText(messages: Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--)
    if (messages[i]!.role === 'user') {
      const t = contentText(messages[i]!.content).trim();
      if (t) return t;
    }
  throw new HttpError(
    400,
    "'messages' needs a user message with text: it is the question to retrieve for",
    'messages',
  );
}

function describe(c: RetrievedChunk): string {
  const where = [`source: ${c.source}`];
  if (c.page !== null) where.push(`page ${c.page}`);
  if (c.heading) where.push(`section: ${c.heading}`);
  return where.join(', ');
}

/** The conversation with the retrieved context in its (first) system message. */
export function withContext(messages: Message[], chunks: RetrievedChunk[]): Message[] {
  const context = chunks.length
    ? chunks.map((c, i) => `[${i + 1}] (${describe(c)})\n${c.text}`).join('\n\n')
    : '(no passages were found)';
  const instruction =
    "Answer the user's question using the context below: passages from the user's documents. " +
    'Cite the passages you use by their number in brackets, like [1]. If the context does not ' +
    `contain the answer, say so.\n\nContext:\n${context}`;
  const first = messages[0];
  if (first && (first.role === 'system' || first.role === 'developer'))
    return [
      { role: 'system', content: `${contentText(first.content)}\n\n${instruction}` },
      ...messages.slice(1),
    ];
  return [{ role: 'system', content: instruction }, ...messages];
}

/** One entry per document and page, in the order the chunks were given (best first). */
export function sourcesOf(chunks: RetrievedChunk[]): Source[] {
  const seen = new Set<string>();
  const out: Source[] = [];
  for (const c of chunks) {
    const key = `${c.document}\0${c.page}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ document: c.document, source: c.source, page: c.page, score: c.score });
  }
  return out;
}

const tooLong = (err: unknown) =>
  err instanceof UpstreamError &&
  err.status === 400 &&
  ((err.body as { error?: { code?: unknown } })?.error?.code === 'context_length_exceeded' ||
    /context/i.test(err.message));

/** The next smaller context to try: one chunk fewer, then the last chunk halved. */
export function shrink(chunks: RetrievedChunk[]): RetrievedChunk[] | undefined {
  if (chunks.length > 1) return chunks.slice(0, -1);
  const c = chunks[0];
  if (!c || c.text.length < 64) return undefined;
  return [{ ...c, text: `${c.text.slice(0, Math.floor(c.text.length / 2))}…` }];
}

export interface ChatRequest {
  body: Obj;
  messages: Message[];
  stream: boolean;
  query: string;
  k: number;
  collection: string;
  source?: string;
  document?: string;
}

/**
 * The numbers in a refusal for a too long prompt: the prompt's tokens and the model's context, as
 * the llm module words them ("the prompt is 456 tokens; this model's context is 256 tokens", "the
 * prompt (300 tokens) plus max_tokens (8) is more than this model's context of 256 tokens") or
 * OpenAI does ("maximum context length is 4097 tokens. However, your messages resulted in 5000
 * tokens"). Undefined when the message has neither.
 */
export function refusalNumbers(message: string): { promptTokens: number; contextTokens: number } | undefined {
  const prompt =
    /prompt(?: is|\s*\()\s*(\d+) tokens/i.exec(message) ?? /resulted in (\d+) tokens/i.exec(message);
  const context =
    /context (?:is|of) (\d+) tokens/i.exec(message) ??
    /maximum context length is (\d+) tokens/i.exec(message);
  if (!prompt || !context) return undefined;
  return { promptTokens: Number(prompt[1]), contextTokens: Number(context[1]) };
}

/**
 * What rag has learnt from the llm's refusals: the model's context in tokens and how many tokens a
 * character of prompt made. With it a context is shrunk before it is sent, to the first of the
 * shrink steps estimated to fit, instead of one refused round trip per step (with the tiny test
 * llama's 256 tokens that was four refusals a chat). The llm still decides: a prompt it refuses
 * anyway is shrunk further, as before.
 */
interface Fit {
  contextTokens: number;
  tokensPerChar: number;
}
const fits = new WeakMap<Upstream, Fit>();

const promptChars = (messages: Message[]) => messages.reduce((n, m) => n + contentText(m.content).length, 0);

/** Shrinks `chunks` while the prompt they make is estimated longer than the model's context. */
function fitted(fit: Fit | undefined, req: ChatRequest, chunks: RetrievedChunk[], reserve: number) {
  if (!fit) return chunks;
  let used = chunks;
  for (;;) {
    const estimate = promptChars(withContext(req.messages, used)) * fit.tokensPerChar;
    if (estimate + reserve <= fit.contextTokens) return used;
    const next = shrink(used);
    if (!next) return used; // the llm says what it thinks of it
    used = next;
  }
}

/**
 * The llm's answer to one request: a stream's response head (its events still to read, through
 * node:http), or a whole answer's JSON (through the kit's client, as rag's other JSON calls: one
 * client for whole answers). A refusal throws: UpstreamError (4xx) or 503 (5xx, 401).
 */
async function askOnce(
  llm: Upstream,
  body: Obj,
  stream: boolean,
  signal: AbortSignal,
): Promise<{ res: IncomingMessage; body?: undefined } | { res?: undefined; body: Obj }> {
  if (!stream) return { body: await llm.call<Obj>('POST', '/v1/chat/completions', body, signal) };
  const res = await llm.open('POST', '/v1/chat/completions', body, signal);
  if (res.statusCode === 200) return { res };
  const text = await readAll(res, llm.config.timeoutMs, 'llm', llm.config.module);
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  const msg = (parsed as { error?: { message?: string } })?.error?.message ?? text.slice(0, 200);
  const status = res.statusCode ?? 502;
  throw status >= 500 || status === 401
    ? unavailable('llm', `it answered ${status}: ${msg}`, llm.config.module)
    : new UpstreamError('llm', status, `llm: ${msg}`, parsed);
}

/**
 * Opens the llm's answer for the largest context it accepts: a stream's response (`res`), or a
 * whole answer (`body`) when the client did not ask for a stream.
 */
export async function openAnswer(
  llm: Upstream,
  req: ChatRequest,
  chunks: RetrievedChunk[],
  signal: AbortSignal,
): Promise<{ res?: IncomingMessage; body?: Obj; used: RetrievedChunk[] }> {
  const { k: _k, collection: _c, filter: _f, model: _m, ...rest } = req.body;
  // The tokens the answer needs beside the prompt (the llm refuses a prompt that leaves fewer).
  const asked = Number(rest.max_completion_tokens ?? rest.max_tokens);
  const reserve = Number.isInteger(asked) && asked > 0 ? asked : 1;
  let used = fitted(fits.get(llm), req, chunks, reserve);
  for (;;) {
    const messages = withContext(req.messages, used);
    try {
      return { ...(await askOnce(llm, { ...rest, messages, stream: req.stream }, req.stream, signal)), used };
    } catch (err) {
      const next = tooLong(err) ? shrink(used) : undefined;
      if (!next) throw err;
      const n = refusalNumbers((err as UpstreamError).message.replace(/^llm: /, ''));
      if (n && n.promptTokens > 0) {
        const fit = { contextTokens: n.contextTokens, tokensPerChar: n.promptTokens / promptChars(messages) };
        fits.set(llm, fit);
        used = fitted(fit, req, next, reserve);
      } else used = next;
    }
  }
}

/**
 * The longest event of the llm's stream rag holds while waiting for its end (a blank line). An event
 * is one token's delta (a few hundred bytes); an llm that sends bytes without ever ending one (a
 * broken or hostile server) made rag keep them all in one string, searched from its start at each
 * chunk, filling the memory every consumer's requests share.
 */
export const RELAY_EVENT_MAX = 1024 * 1024;

/**
 * SSE events of the llm's stream, the first data event given `sources`, with an idle deadline and
 * RELAY_EVENT_MAX for an event still unfinished.
 */
async function* relay(res: IncomingMessage, sources: Source[], idleMs: number, signal: AbortSignal) {
  let buf = '';
  let first = true;
  let timer: NodeJS.Timeout | undefined;
  const it = res[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([
        it.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the llm module sent nothing for ${idleMs / 1000} s`)),
            idleMs,
          );
        }),
      ]);
      clearTimeout(timer);
      if (next.done) break;
      if (signal.aborted) throw new ClientGoneError();
      buf += (next.value as Buffer).toString('utf8');
      let end = buf.indexOf('\n\n');
      while (end >= 0) {
        const event = buf.slice(0, end);
        buf = buf.slice(end + 2);
        end = buf.indexOf('\n\n');
        if (first && event.startsWith('data: {')) {
          first = false;
          const chunk = JSON.parse(event.slice(6)) as Obj;
          yield `data: ${JSON.stringify({ ...chunk, sources })}\n\n`;
        } else yield `${event}\n\n`;
      }
      if (buf.length > RELAY_EVENT_MAX)
        throw new Error(
          `the llm module sent an event longer than ${RELAY_EVENT_MAX / 1024} KiB without its end`,
        );
    }
    if (buf.trim()) yield buf;
  } finally {
    clearTimeout(timer);
    res.destroy(); // a client that left: the llm sees its connection close and stops generating
  }
}

/**
 * `inTurn` runs the retrieval in its turn (api.ts: rag's own fair queue); the llm's answer is asked
 * for outside it: the llm takes rag's chats one at a time as one client, each for up to its
 * deadline, so a client's chats waiting there held every place retrievals run in.
 */
export async function chat(
  rag: Rag,
  req: ChatRequest,
  signal: AbortSignal,
  idleMs: number,
  inTurn: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<Reply> {
  const chunks = await inTurn(() =>
    rag.retrieve(
      { query: req.query, k: req.k, collection: req.collection, source: req.source, document: req.document },
      signal,
    ),
  );
  const { res, body, used } = await openAnswer(rag.llm, req, chunks, signal);
  const sources = sourcesOf(used);
  if (res)
    return {
      body: undefined,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      stream: relay(res, sources, idleMs, signal),
    };
  return { body: { ...body, sources } };
}
