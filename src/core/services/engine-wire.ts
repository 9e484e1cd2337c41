import type { Socket } from 'node:net';

/**
 * The libpod API's requests as plain HTTP/1.1 over the engine's unix socket, one request a
 * connection (`Connection: close`), without node:http (issue 20: on `service start`'s way to
 * create, node:http's modules cost ~1.5 ms of CPU to load and its cold request path ~1 ms a
 * request, before the first byte went out). The engine is Podman's root-owned API, and what it
 * answers is bounded and parsed strictly: a status line, headers, then a body by Content-Length,
 * chunks, or up to the close. Services' own sockets (untrusted) are not asked this way: health.ts
 * keeps node:http for them.
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
  exchange(method: string, apiPath: string, body: string | undefined, sent?: () => void): Promise<WireAnswer>;
}

export function openWire(socketPath: string): Wire {
  const net = () => process.getBuiltinModule('node:net');
  let spare: { socket: Socket; open: boolean; timer: NodeJS.Timeout } | undefined;
  const openSpare = () => {
    const socket = net().connect(socketPath);
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
    return net().connect(socketPath);
  };
  return {
    exchange(method, apiPath, body, sent) {
      // node:http refused these (ERR_UNESCAPED_CHARACTERS): a space, CR or LF in the request line
      // would end it early and the rest would reach the root-owned engine as a request of its own.
      if (!/^[A-Z]+$/.test(method) || !/^\/[\x21-\x7e]*$/.test(apiPath))
        return Promise.reject(
          wireError('the request line holds a character HTTP does not allow', 'ERR_UNESCAPED_CHARACTERS'),
        );
      const socket = take();
      openSpare();
      return send(socket, method, apiPath, body, sent);
    },
  };
}

function send(
  socket: Socket,
  method: string,
  apiPath: string,
  body: string | undefined,
  sent?: () => void,
): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const head =
      `${method} ${apiPath} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n` +
      (body === undefined
        ? method === 'GET'
          ? ''
          : 'Content-Length: 0\r\n'
        : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`) +
      '\r\n';
    const parser = answerParser();
    let settled = false;
    const finish = (err: WireError | undefined, answer?: WireAnswer) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    socket.on('data', (chunk: Buffer) => {
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
    socket.on('close', () => finish(wireError('the engine closed the connection before answering')));
    socket.write(body === undefined ? head : head + body, () => sent?.());
  });
}

const wireError = (message: string, code = 'ECONNRESET'): WireError =>
  Object.assign(new Error(message), { code });

/**
 * An HTTP/1.1 answer read incrementally: `push` returns it once complete (Content-Length reached or
 * the last chunk read), `end` at the close (a body without a length ends there).
 */
export function answerParser(): { push(chunk: Buffer): WireAnswer | undefined; end(): WireAnswer } {
  const chunks: Buffer[] = [];
  let size = 0;
  let status = 0;
  let bodyAt = -1;
  let length: number | undefined;
  let chunked = false;
  const bad = (why: string) => wireError(`the engine's answer is not HTTP/1.1 (${why})`, 'EPROTO');
  const readHead = (all: Buffer) => {
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) {
      if (all.length > 64 * 1024) throw bad('headers over 64 KB');
      return;
    }
    const lines = all.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.[01] ([1-9]\d\d)(?: .*)?$/.exec(lines[0]!);
    if (!m) throw bad('status line');
    status = Number(m[1]);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw bad('header line');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,12}$/.test(value) || (length !== undefined && length !== Number(value)))
          throw bad('Content-Length');
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        if (value.toLowerCase() !== 'chunked') throw bad(`Transfer-Encoding ${value}`);
        chunked = true;
      }
    }
    if (status < 200) throw bad(`interim status ${status}`); // nothing blueprint sends asks for one
    if (chunked && length !== undefined) throw bad('both Content-Length and chunked');
    if (status === 204 || status === 304) length = 0;
    bodyAt = end + 4;
  };
  /** The chunked body decoded, or undefined while its last chunk has not come. */
  const dechunk = (all: Buffer): Buffer | undefined => {
    const parts: Buffer[] = [];
    let at = bodyAt;
    for (;;) {
      const eol = all.indexOf('\r\n', at);
      if (eol < 0) return undefined;
      const sizeText = all.toString('latin1', at, eol).split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw bad('chunk size');
      const n = Number.parseInt(sizeText, 16);
      if (n === 0) return all.indexOf('\r\n', eol + 2) < 0 ? undefined : Buffer.concat(parts);
      if (all.length < eol + 2 + n + 2) return undefined;
      if (all[eol + 2 + n] !== 0x0d || all[eol + 3 + n] !== 0x0a) throw bad('chunk end');
      parts.push(all.subarray(eol + 2, eol + 2 + n));
      at = eol + 4 + n;
    }
  };
  const joined = () => {
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    chunks.length = 0;
    chunks.push(all);
    return all;
  };
  /** Whether the bytes so far may end the answer (joined only then: a large answer is copied once). */
  const mayEnd = (): boolean => {
    if (bodyAt < 0) return true;
    if (length !== undefined) return size - bodyAt >= length;
    if (!chunked) return false;
    const last = chunks[chunks.length - 1]!;
    // The last chunk (size 0) and the trailers end with an empty line.
    const tail = last.length >= 4 ? last.subarray(last.length - 4) : joined().subarray(-4);
    return tail.toString('latin1') === '\r\n\r\n';
  };
  const complete = (atClose: boolean): WireAnswer | undefined => {
    if (!atClose && !mayEnd()) return undefined;
    const all = joined();
    if (bodyAt < 0) readHead(all);
    if (bodyAt < 0) {
      if (atClose) throw wireError('the engine closed the connection before answering');
      return undefined;
    }
    let body: Buffer | undefined;
    if (chunked) body = dechunk(all);
    else if (length !== undefined)
      body = all.length - bodyAt >= length ? all.subarray(bodyAt, bodyAt + length) : undefined;
    else if (atClose) body = all.subarray(bodyAt);
    if (!body) {
      if (atClose) throw wireError('the engine closed the connection in the middle of its answer');
      return undefined;
    }
    return { status, body: body.toString('utf8') };
  };
  return {
    push(chunk) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) throw bad(`answer over ${MAX_ANSWER_BYTES} bytes`);
      chunks.push(chunk);
      return complete(false);
    },
    end: () => complete(true)!,
  };
}
