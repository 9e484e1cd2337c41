/**
 * A client for an installed module's HTTP API on its unix socket, as an admin on the box uses it:
 * the socket is the one the services layer made for it (ROOT/run/blueprint/services/NAME/FILE),
 * the bearer token the one the admin set (read as the wiring reads it: no link, no FIFO, 4 KiB).
 * Generic on purpose: `blueprint rag` is built on it, and any later module command (`llm chat`)
 * can be, without a second socket client.
 *
 * Everything a module answers is untrusted: bodies are bounded (MAX_BODY, MAX_EVENT), an error's
 * message is cut to 500 characters, and front ends escape what they show. Errors are typed:
 * not running (with the start command), not found (exit 3), refused input, busy (503).
 */
import { type IncomingMessage, request } from 'node:http';
import path from 'node:path';
import { BlueprintError, InterruptedError, isPermissionDenied, NotFoundError } from '../core/errors.js';
import { isModuleName } from '../core/services/module-name.js';
import { layout } from '../core/system/paths.js';

/** A JSON answer larger than this is refused (a document list of ~100k entries fits). */
const MAX_BODY = 64 * 1024 * 1024;
/** One server-sent event at most this long (a chunk of a streamed answer is a few bytes). */
const MAX_EVENT = 1024 * 1024;
/**
 * A body larger than this is sent after the module's `100 Continue` (Expect: 100-continue): a
 * module refuses one over its limit at the head (the kit's 413, then it closes), and a body written
 * meanwhile met the closed connection (EPIPE) before the answer was read: 'write EPIPE' instead of
 * the module's limit. A server that never says 100 gets the body after CONTINUE_WAIT_MS (as curl).
 */
const CONTINUE_OVER = 64 * 1024;
const CONTINUE_WAIT_MS = 1000;

/** The module answered with an HTTP error: `status` and its (untrusted, cut) message. */
export class ModuleApiError extends BlueprintError {
  constructor(
    readonly module: string,
    readonly status: number,
    message: string,
    code: string,
    hint?: string,
  ) {
    super(`${module}: ${oneLine(message)}`, code, hint, status === 404 ? 3 : 1);
  }
}

/**
 * A module's message on one line: front ends keep the newlines of an error message (escaping the
 * rest), so a line break in the module's text printed a line of its own under `error:`, a forged
 * `hint:` among them. Shown as escape.ts shows it (`\x0a`).
 */
const oneLine = (text: string) =>
  text.replace(/[\n\r\u0085\u2028\u2029]/g, (c) => {
    const cp = c.charCodeAt(0);
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });

export interface ModuleRequest {
  /** JSON (serialised here) or raw bytes with `contentType`. */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /**
   * Server-sent events: each event's `data` as it arrives, when the answer is `text/event-stream`;
   * the request's promise resolves after the stream ends (its body is then undefined).
   */
  onEvent?: (data: string) => void;
}

export interface ModuleApi {
  readonly name: string;
  /** The socket on the host. */
  readonly socket: string;
  /** One request; resolves with a status below 400 and the parsed JSON body, else throws `ModuleApiError`. */
  request<T = unknown>(
    method: string,
    urlPath: string,
    opts?: ModuleRequest,
  ): Promise<{ status: number; body: T }>;
}

/** The API of installed module `name` (NotFoundError when it is not installed or has no socket). */
export async function openModuleApi(root: string, name: string): Promise<ModuleApi> {
  const [{ getRegistration }, { serviceDirs }, { readToken }, { pinSocket }] = await Promise.all([
    import('../core/services/registry.js'),
    import('../core/services/policy.js'),
    import('../core/services/wiring.js'),
    import('../core/services/socket-pin.js'),
  ]);
  const reg = await getRegistration(root, name);
  if (!reg.spec.socket)
    throw new NotFoundError(
      `${name} has no API socket`,
      'Only modules with a service socket answer requests.',
    );
  const socket = path.join(serviceDirs(root, name).socketDir, reg.spec.socket.file);
  const token = (await readToken(root, name))?.toString('utf8').trim();
  return {
    name,
    socket,
    // The socket's folder is the module's: each request connects to the socket pinned where only
    // root can write, never through a link the module left at its name (socket-pin.ts).
    request: async <T>(method: string, urlPath: string, opts: ModuleRequest = {}) => {
      const pin = await pinSocket(layout(root).runDir, socket, name).catch((err) => {
        throw connectError(name, socket, err);
      });
      return send<T>(name, socket, pin, token, method, urlPath, opts).finally(pin.release);
    },
  };
}

async function send<T>(
  name: string,
  socket: string,
  pin: { path: string; release(): void },
  token: string | undefined,
  method: string,
  urlPath: string,
  opts: ModuleRequest,
): Promise<{ status: number; body: T }> {
  const raw = opts.body;
  const payload =
    raw === undefined ? undefined : Buffer.isBuffer(raw) ? raw : Buffer.from(JSON.stringify(raw), 'utf8');
  const headers: Record<string, string> = {};
  if (payload) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.signal?.aborted) throw new InterruptedError();
  const waitForContinue = payload !== undefined && payload.length > CONTINUE_OVER;
  if (waitForContinue) headers.expect = '100-continue';
  return new Promise((resolve, reject) => {
    let answer: IncomingMessage | undefined;
    let wait: NodeJS.Timeout | undefined;
    let bodySent = !waitForContinue;
    const sendBody = () => {
      clearTimeout(wait);
      if (bodySent || answer) return;
      bodySent = true;
      req.end(payload);
    };
    const req = request({ socketPath: pin.path, method, path: urlPath, headers }, (res) => {
      answer = res;
      clearTimeout(wait);
      // Answered before the body was asked for (413): it is not sent, and the connection not kept.
      if (!bodySent) res.once('end', () => req.destroy());
      const type = String(res.headers['content-type'] ?? '');
      const status = res.statusCode ?? 0;
      if (status < 400 && opts.onEvent && type.startsWith('text/event-stream')) {
        readEvents(res, opts.onEvent).then(() => resolve({ status, body: undefined as T }), reject);
        return;
      }
      readBody(res).then((text) => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {}
        if (status >= 400) reject(httpError(name, status, body));
        else if (typeof body === 'string')
          reject(new ModuleApiError(name, status, 'answered with no JSON', 'module-bad-answer'));
        else resolve({ status, body: body as T });
      }, reject);
    });
    const onAbort = () => {
      answer?.destroy(new InterruptedError());
      req.destroy(new InterruptedError());
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => opts.signal?.removeEventListener('abort', onAbort);
    req.on('close', done);
    // Connected: the pinned name is no longer needed.
    req.on('socket', (s) => (s.connecting ? s.once('connect', pin.release) : pin.release()));
    // A connection closed while the body was still going (EPIPE) after an answer came: the answer
    // says why (413), and reading it settles this request.
    req.on('error', (err) => {
      clearTimeout(wait);
      if (!answer) reject(connectError(name, socket, err));
    });
    if (!waitForContinue) req.end(payload);
    else {
      req.on('continue', sendBody);
      req.flushHeaders();
      wait = setTimeout(sendBody, CONTINUE_WAIT_MS);
    }
  });
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY)
        res.destroy(new BlueprintError(`answer larger than ${MAX_BODY} bytes`, 'module-bad-answer'));
      else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** Server-sent events (the WHATWG format): `data:` lines joined by newlines, an event per blank line. */
function readEvents(res: IncomingMessage, onEvent: (data: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let data: string[] = [];
    const line = (l: string) => {
      if (l === '') {
        if (data.length) onEvent(data.join('\n'));
        data = [];
      } else if (l.startsWith('data:')) data.push(l.slice(l[5] === ' ' ? 6 : 5));
    };
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      pending += text;
      const lines = pending.split(/\r\n|\r|\n/);
      pending = lines.pop() ?? '';
      try {
        for (const l of lines) line(l);
      } catch (err) {
        res.destroy(err as Error);
        return;
      }
      if (pending.length + data.reduce((n, d) => n + d.length, 0) > MAX_EVENT)
        res.destroy(new BlueprintError(`an event larger than ${MAX_EVENT} bytes`, 'module-bad-answer'));
    });
    res.on('end', () => {
      try {
        if (pending) line(pending);
        line('');
        resolve();
      } catch (err) {
        reject(err);
      }
    });
    res.on('error', reject);
  });
}

function httpError(name: string, status: number, body: unknown): ModuleApiError {
  const e = (body as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
  const said = typeof e?.message === 'string' ? e.message.slice(0, 500) : `HTTP ${status}`;
  if (status === 404) return new ModuleApiError(name, status, said, 'module-not-found');
  if (status === 401 || status === 403)
    return new ModuleApiError(
      name,
      status,
      said,
      'module-unauthorized',
      `The module wants its access token: run as root so that ROOT/var/lib/blueprint/modules/${name}/access-token can be read.`,
    );
  if (status === 503 || status === 429) {
    // rag's words for a module it uses that does not answer (stopped, say): waiting will not start it.
    // The name is the module's text: used only when it is a module's name.
    const up = /^the (\S+) module is unavailable\b/.exec(said)?.[1];
    return new ModuleApiError(
      name,
      status,
      said,
      'module-busy',
      up && isModuleName(up)
        ? `Start ${up} if it is stopped: \`blueprint service start ${up}\`; \`blueprint service status\` shows whether ${name} and what it uses are running.`
        : `Try again shortly; \`blueprint service status\` shows whether ${name} and what it uses are running.`,
    );
  }
  if (status === 413)
    return new ModuleApiError(name, status, said, 'module-too-large', 'Send a smaller file.');
  if (status >= 400 && status < 500) return new ModuleApiError(name, status, said, 'module-refused');
  return new ModuleApiError(
    name,
    status,
    said,
    'module-error',
    `\`blueprint service logs ${name}\` may say more.`,
  );
}

function connectError(name: string, socket: string, err: unknown): BlueprintError {
  if (err instanceof BlueprintError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED')
    return new BlueprintError(
      `${name} is not running (nothing answers on ${socket})`,
      'module-not-running',
      `Start it: \`blueprint service start ${name}\``,
    );
  if (isPermissionDenied(err))
    return new BlueprintError(
      `Cannot connect to ${socket}: permission denied`,
      'module-not-permitted',
      'Run as root.',
    );
  return new BlueprintError(
    `${name}: ${(err as Error).message}`,
    'module-connection',
    `\`blueprint service status ${name}\``,
  );
}
