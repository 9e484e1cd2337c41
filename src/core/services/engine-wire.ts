import {
  type ParsedResponse,
  ProtocolError,
  ResponseParser,
} from '../../../modules/kit/client/response-parser.js';
import { connectPipe, type WireSocket as Socket } from './pipe-socket.js';

/**
 * The libpod API's requests as plain HTTP/1.1 over the engine's unix socket, one request a
 * connection (`Connection: close`), without node:http (issue 20: on `service start`'s way to
 * create, node:http's modules cost ~1.5 ms of CPU to load and its cold request path ~1 ms a
 * request, before the first byte went out). The engine is Podman's root-owned API, and what it
 * answers is bounded and parsed strictly: a status line, headers, then a body by Content-Length,
 * chunks, or up to the close. A service's own socket (untrusted) is asked through `exchangeOnce`
 * with tighter bounds and a deadline (health.ts's probe): the same strict parser the kit's client
 * holds modules to, without the spare connection.
 *
 * A connection opened ahead (`spare`) carries the next request: a fresh connect() writes the
 * request only at the loop's next turn, after whatever the caller does next (~1–2 ms on the way
 * to create and to start, `strace -ttt`); an open one takes it at once. A spare is unreferenced
 * (it never holds the process) and closed when unused for a second.
 */

/** What the engine answered. */
export interface WireAnswer {
  status: number;
  body: string;
}

/** More than any libpod answer blueprint asks for (an inspect is ~20 KB; a list of containers more). */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** A spare unused this long is closed (the engine need not keep idle connections). */
const SPARE_MS = 1000;

export interface WireError extends Error {
  code?: string;
}

export interface Wire {
  /** Sends one request and reads its answer; `sent` once the request's bytes are with the kernel. */
  exchange(
    method: string,
    apiPath: string,
    body: string | undefined,
    sent?: () => void,
    wait?: WireWait,
  ): Promise<WireAnswer>;
}

/**
 * How long an exchange may wait: `timeoutMs` for the whole of it (ETIMEDOUT), and `signal`, whose
 * abort ends it at once with the signal's reason (the command's Ctrl-C or SIGTERM). Either way the
 * connection is closed: nothing is left waiting on an engine that does not answer.
 */
export interface WireWait {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A connection to a unix socket (pipe-socket.ts: Node's pipe binding in the executable, node:net
 * elsewhere). Half-open: node:net would otherwise end and destroy the socket itself on the peer's
 * close (every answer here ends with one), in the same turn as the answer and before its
 * continuation runs; `send` closes it a turn later (see there).
 */
const dial = connectPipe;

export function openWire(socketPath: string): Wire {
  let spare: { socket: Socket; open: boolean; timer: NodeJS.Timeout } | undefined;
  const openSpare = () => {
    const socket = dial(socketPath);
    // A spare that fails, closes or stays unused for SPARE_MS is dropped (and closed: no idle
    // connection held open on the engine); the next request connects afresh.
    const drop = () => {
      clearTimeout(s.timer);
      s.open = false;
      if (spare === s) spare = undefined;
      socket.destroy();
    };
    const s = { socket, open: false, timer: setTimeout(drop, SPARE_MS).unref() };
    socket.unref();
    socket.on('connect', () => {
      s.open = true;
    });
    socket.on('error', drop);
    socket.on('end', drop);
    socket.on('close', drop);
    spare = s;
  };
  const take = (): Socket => {
    const s = spare;
    spare = undefined;
    if (s) clearTimeout(s.timer);
    if (s?.open) {
      s.socket.removeAllListeners();
      s.socket.ref();
      return s.socket;
    }
    s?.socket.destroy();
    return dial(socketPath);
  };
  return {
    exchange(method, apiPath, body, sent, wait) {
      const bad = badRequestLine(method, apiPath);
      if (bad) return Promise.reject(bad);
      const socket = take();
      // The request first (an open spare takes it at once), then the next spare: the pipe binding
      // connects in the call (socket, connect), which need not come before this request's bytes.
      const limits =
        wait?.timeoutMs === undefined ? ENGINE_LIMITS : { ...ENGINE_LIMITS, timeoutMs: wait.timeoutMs };
      const answer = send(socket, method, apiPath, body, limits, sent, wait?.signal);
      openSpare();
      return answer;
    },
  };
}

/**
 * node:http refused these (ERR_UNESCAPED_CHARACTERS): a space, CR or LF in the request line would
 * end it early and the rest would reach the server as a request of its own.
 */
function badRequestLine(method: string, apiPath: string): WireError | undefined {
  if (/^[A-Z]+$/.test(method) && /^\/[\x21-\x7e]*$/.test(apiPath)) return undefined;
  return wireError('the request line holds a character HTTP does not allow', 'ERR_UNESCAPED_CHARACTERS');
}

/** How an answer is read: its bounds, whether 1xx answers are skipped, the Host asked, a deadline. */
export interface AnswerLimits {
  /** The status line and headers. */
  maxHeadBytes: number;
  /** The whole answer, head and chunk framing included. */
  maxAnswerBytes: number;
  /** 1xx answers skipped (as node:http does) or refused (nothing blueprint sends asks for one). */
  interim: boolean;
  host: string;
  /** Who answers, in error messages: "the engine", "the service". */
  peer: string;
  /** The whole exchange, connect to last byte; for the engine only where the call says (WireWait). */
  timeoutMs?: number;
}

/** The longest head (status line and headers) an engine answer may have. */
const MAX_HEAD_BYTES = 64 * 1024;

/** The engine's answers: Podman's root-owned API. */
const ENGINE_LIMITS: AnswerLimits = {
  maxHeadBytes: MAX_HEAD_BYTES,
  maxAnswerBytes: MAX_ANSWER_BYTES,
  interim: false,
  host: 'd',
  peer: 'the engine',
};

/**
 * One request on a connection of its own to any unix socket, its answer read as the engine's are
 * (the kit's strict parser) within `limits`. For peers that are not the engine, such as a
 * service's own socket, whose answer is untrusted: health.ts bounds it in size and in time.
 */
export function exchangeOnce(
  socketPath: string,
  method: string,
  apiPath: string,
  limits: AnswerLimits,
): Promise<WireAnswer> {
  const bad = badRequestLine(method, apiPath);
  if (bad) return Promise.reject(bad);
  const socket = dial(socketPath);
  return send(socket, method, apiPath, undefined, limits);
}

function send(
  socket: Socket,
  method: string,
  apiPath: string,
  body: string | undefined,
  limits: AnswerLimits,
  sent?: () => void,
  signal?: AbortSignal,
): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const head =
      `${method} ${apiPath} HTTP/1.1\r\nHost: ${limits.host}\r\nConnection: close\r\n` +
      (body === undefined
        ? method === 'GET'
          ? ''
          : 'Content-Length: 0\r\n'
        : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`) +
      '\r\n';
    const parser = answerParser(method, limits);
    let settled = false;
    const deadline =
      limits.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => finish(wireError(`no whole answer within ${limits.timeoutMs} ms`, 'ETIMEDOUT')),
            limits.timeoutMs,
          );
    const aborted = () => finish(signal?.reason);
    const finish = (err: WireError | undefined, answer?: WireAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', aborted);
      // Closed once the answer's continuation has run, not before it: node:net's Socket._destroy
      // reads process.stderr (to compare the socket with it), and the process's first read of it
      // makes the stderr stream, 1.4-7 ms with stderr a pipe, as under the bench. Done here, it
      // sat between the inspect's answer and the create request of every `service start` (issue 20).
      setImmediate(() => socket.destroy());
      if (err) reject(err);
      else resolve(answer!);
    };
    socket.on('data', (chunk: Buffer) => {
      if (settled) return; // bytes after the answer, before the close: not read
      try {
        const answer = parser.push(chunk);
        if (answer) finish(undefined, answer);
      } catch (err) {
        finish(err as WireError);
      }
    });
    socket.on('end', () => {
      try {
        finish(undefined, parser.end());
      } catch (err) {
        finish(err as WireError);
      }
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(wireError(`${limits.peer} closed the connection before answering`)));
    signal?.addEventListener('abort', aborted, { once: true });
    socket.write(body === undefined ? head : head + body, () => sent?.());
  });
}

const wireError = (message: string, code = 'ECONNRESET'): WireError =>
  Object.assign(new Error(message), { code });

/**
 * An HTTP/1.1 answer read incrementally: `push` returns it once complete (Content-Length reached or
 * the last chunk read), `end` at the close (a body without a length ends there). The framing is the
 * module kit's strict response parser (modules/kit/client/response-parser.ts, attack-tested in
 * test/security/client-framing-attacks.test.ts, on modules/kit/server/framing.ts, which the kit's
 * server shares and test/fuzz/http.fuzz.ts fuzzes), so the engine's answers are held to the rules
 * the kit holds modules to: token header names, no folding or control bytes, Content-Length and
 * Transfer-Encoding once each and never both, `chunked` only, strict chunk sizes and trailers, status
 * 100-599. Stricter for the engine: an interim (1xx) answer is refused (nothing blueprint sends
 * asks for one); the whole answer, head and chunk framing included, is bounded by `limits`
 * (MAX_ANSWER_BYTES for the engine).
 */
export function answerParser(
  method = 'GET',
  limits: AnswerLimits = ENGINE_LIMITS,
): {
  push(chunk: Buffer): WireAnswer | undefined;
  end(): WireAnswer;
} {
  const max = limits.maxAnswerBytes;
  const parser = new ResponseParser({
    maxHeaderBytes: limits.maxHeadBytes,
    maxBodyBytes: max,
    interim: limits.interim,
  });
  parser.expect(method);
  let size = 0;
  const bad = (why: string) => wireError(`${limits.peer}'s answer is not HTTP/1.1 (${why})`, 'EPROTO');
  const answer = (r: ParsedResponse): WireAnswer => ({ status: r.status, body: r.body.toString('utf8') });
  return {
    push(chunk) {
      size += chunk.length;
      if (size > max) throw bad(`answer over ${max} bytes`);
      try {
        const r = parser.push(chunk);
        return r && answer(r);
      } catch (err) {
        throw err instanceof ProtocolError ? bad(err.message) : err;
      }
    },
    end() {
      const headRead = parser.headRead;
      let r: ParsedResponse | undefined;
      try {
        r = parser.end();
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
      }
      if (r) return answer(r);
      throw wireError(
        headRead
          ? `${limits.peer} closed the connection in the middle of its answer`
          : `${limits.peer} closed the connection before answering`,
      );
    },
  };
}
