import { createReadStream, read } from 'node:fs';
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { BlueprintError, NotFoundError } from '../../errors.js';
import { oneLine } from '../../system/one-line.js';
import { isLocalAddress, lookupNotLocal, redirectToLocal } from './local-address.js';
import type { FileBody, Opened, Transport, TransportOptions } from './types.js';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
  /** The URL that answered (after redirects). */
  url: string;
  /** The first host was this machine (by its URL or its address): a local fetch may stay local. */
  local: boolean;
}

export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** A buffer, or a local file (an open descriptor) streamed as the body. */
  body?: Uint8Array | FileBody;
  signal?: AbortSignal | undefined;
  /** Redirects to follow for GET/HEAD (registries send blobs to a storage host). */
  redirects?: number;
  /**
   * The URL is one a remote server named (a registry's token realm): judged as a redirect's next
   * hop from the start, a local address refused (`redirect-to-local`), by its name's answer too.
   */
  namedByRemote?: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One HTTP(S) exchange over node:http(s), so the CA list, time limits and redirects are ours to
 * decide. Authorization never follows a redirect to another origin (a storage host must not see
 * the registry's credentials).
 */
export async function request(req: HttpRequest, opts: TransportOptions = {}): Promise<HttpResponse> {
  let url = new URL(req.url);
  let headers = { ...(req.headers ?? {}) };
  const method = req.method ?? 'GET';
  // Set at the first redirect from a host that is not local: where each later hop's name leads is judged.
  let lookup: ReturnType<typeof lookupNotLocal> | undefined;
  let firstLocal: boolean | undefined;
  if (req.namedByRemote) {
    if (isLocalAddress(url.hostname)) throw redirectToLocal(req.url, url.origin);
    lookup = lookupNotLocal(req.url, url.origin);
    firstLocal = false;
  }
  for (let hop = 0; ; hop++) {
    const res = await once(method, url, headers, req.body, req.signal, opts, lookup);
    // The first host is local when the fetch started on this machine (its URL or its address).
    firstLocal ??= isLocalAddress(url.hostname) || isLocalAddress(res.remoteAddress ?? '');
    const loc = res.headers.location;
    if (res.status >= 300 && res.status < 400 && loc && (method === 'GET' || method === 'HEAD')) {
      // Not drained: a server could send a redirect's body without end, read in the background
      // after the fetch had moved on.
      res.body.destroy();
      if (hop >= (req.redirects ?? 5))
        throw new BlueprintError(`${req.url}: too many redirects`, 'network', 'The server is misconfigured.');
      const next = new URL(loc, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new BlueprintError(
          `${req.url}: redirect to ${next.protocol}`,
          'network',
          'Only http and https redirects are followed: give the address the server finally serves from, or ask its operator.',
        );
      // The admin chose https: a redirect to http would go on in the clear, where whoever is on the
      // path sees what the box fetches and answers for the server from then on.
      if (url.protocol === 'https:' && next.protocol === 'http:')
        throw new BlueprintError(
          `${req.url}: redirected from https to ${next.origin}`,
          'insecure-redirect',
          'Redirects from https to http are not followed: ask the operator to serve https, or give the http URL yourself if you mean it.',
        );
      // Every later hop, to the same name too: its next DNS answer could be loopback (rebinding).
      if (!firstLocal) {
        if (isLocalAddress(next.hostname)) throw redirectToLocal(req.url, next.origin);
        lookup = lookupNotLocal(req.url, next.origin);
      }
      if (next.origin !== url.origin) {
        const { authorization: _a, Authorization: _b, ...rest } = headers;
        headers = rest;
      }
      url = next;
      continue;
    }
    const { remoteAddress: _r, ...answer } = res;
    return { ...answer, url: url.href, local: firstLocal };
  }
}

function once(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: HttpRequest['body'],
  signal: AbortSignal | undefined,
  opts: TransportOptions,
  lookup: ReturnType<typeof lookupNotLocal> | undefined,
): Promise<Omit<HttpResponse, 'url' | 'local'> & { remoteAddress?: string | undefined }> {
  // Loaded on first use: `node:https` brings in `node:tls`, whose loading parses the bundled CA
  // certificates (~3.5 MiB and a thread) in every process that merely imports the package manager,
  // as the console's dashboard does to count updates (issue 20).
  const mod = process.getBuiltinModule(url.protocol === 'https:' ? 'node:https' : 'node:http');
  return new Promise((resolve, reject) => {
    const fail = (err: Error) =>
      reject(signal?.aborted ? signal.reason : err instanceof BlueprintError ? err : unreachable(url, err));
    const extra = body && !(body instanceof Uint8Array) ? { 'content-length': String(body.size) } : {};
    const r = mod.request(
      url,
      {
        method,
        headers: { ...extra, ...headers },
        ...(url.protocol === 'https:' && opts.ca?.length
          ? { ca: [...process.getBuiltinModule('node:tls').rootCertificates, ...opts.ca] }
          : {}),
        ...(signal ? { signal } : {}),
        ...(lookup ? { lookup } : {}),
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      },
      (res) =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: res,
          remoteAddress: res.socket.remoteAddress,
        }),
    );
    r.on('timeout', () => r.destroy(new Error('timed out')));
    r.on('error', fail);
    if (body instanceof Uint8Array) r.end(body);
    else if (body && body.size > 0) {
      // From the caller's descriptor, from 0 and no further than the size it hashed: the body
      // can be sent again (a 401 answered, the same file under a second name), and never by
      // opening a name again. Stopped with the request, but never closed here: a ReadStream's
      // destroy() closes its fd whatever autoClose says, and the caller closes it once it has its
      // answer (a second close could hit another file that took the number meanwhile).
      const src = createReadStream('', {
        fd: body.fd,
        start: 0,
        end: body.size - 1,
        autoClose: false,
        fs: { read, close: (_fd: number, done: (err: null) => void) => done(null) },
      });
      r.on('close', () => src.destroy());
      src.on('error', fail).pipe(r);
    } else r.end();
  });
}

/** Reads a small response body (error texts, JSON) up to `max` bytes; more is cut off. */
export async function readSmall(body: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    if (n + b.length > max) {
      parts.push(b.subarray(0, max - n));
      body.destroy();
      break;
    }
    n += b.length;
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export function lengthOf(headers: http.IncomingHttpHeaders): number | undefined {
  const v = headers['content-length'];
  if (v === undefined || !/^[0-9]{1,15}$/.test(v)) return undefined;
  return Number(v);
}

/** Plain static HTTP(S) hosts (and public S3 websites): GET base/rel. */
export function httpTransport(opts: () => TransportOptions): Transport {
  return {
    async open(base, rel, signal): Promise<Opened> {
      const url = rel ? `${base.replace(/\/+$/, '')}/${rel}` : base;
      const res = await request({ url, signal }, opts());
      // An error's body is not read (not drained either: it could be endless).
      if (res.status === 404) {
        res.body.destroy();
        throw new NotFoundError(
          `${url} not found (HTTP 404)`,
          'The repository may be incomplete; check its URL.',
          'not-found-remote',
        );
      }
      if (res.status < 200 || res.status >= 300) {
        res.body.destroy();
        throw new BlueprintError(`${url}: HTTP ${res.status}`, 'network', 'Try again later.');
      }
      const length = lengthOf(res.headers);
      return { body: res.body, ...(length !== undefined ? { length } : {}) };
    },
  };
}

/** OpenSSL's codes for a certificate chain that ends at no CA this machine trusts. */
const UNTRUSTED_CA = [
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
];

/**
 * A request that got no answer. A TLS request answered in plain HTTP (a registry or web server run
 * without TLS) is said so, not in OpenSSL's words ('wrong version number', over two lines); so is
 * a certificate from a CA not trusted here, with how to give the CA (Node's own advice names flags
 * of a Node.js the admin does not run).
 */
function unreachable(url: URL, err: Error): BlueprintError {
  const where = `${url.origin}${url.pathname}`;
  if (url.protocol === 'https:' && /wrong version number/i.test(err.message))
    return new BlueprintError(
      `Cannot reach ${where}: the server there answers in plain HTTP, not TLS`,
      'network',
      'https:// and oci:// repositories are reached over TLS only: serve it with TLS (a certificate this machine trusts), or add a plain web server as http://.',
    );
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (UNTRUSTED_CA.includes(code))
    return new BlueprintError(
      `Cannot reach ${where}: its TLS certificate is not signed by a CA this machine trusts (${code})`,
      'network',
      "If the server is your organisation's, signed by its own CA, give that CA's certificate: NODE_EXTRA_CA_CERTS=/path/to/ca.pem before the command. Otherwise something may be answering in its place: check the URL.",
    );
  return new BlueprintError(`Cannot reach ${where}: ${oneLine(err.message)}`, 'network', REACH_HINT);
}

/** A box's hint for a server that did not answer (repo publish gives its own: publish-remote.ts). */
export const REACH_HINT = 'Check the network and the repository URL (`bpkg repo list`).';
