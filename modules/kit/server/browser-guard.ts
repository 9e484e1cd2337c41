/**
 * Requests a web page makes are refused unless the page is this machine's own, as Ollama refuses
 * them (its allowed-origins and allowed-hosts checks, after DNS rebinding, CVE-2024-28224). A module
 * answers on a unix socket, but an admin forwards it to a loopback TCP port for a client that only
 * takes a URL (socat, the llm README); then a page on any site in the admin's browser reaches it. A
 * cross-site POST with `content-type: text/plain` needs no CORS preflight (the work runs, unseen),
 * and a page whose own name is made to resolve to 127.0.0.1 reads the answers too. So:
 *
 * - an `Origin` (a browser's, on every cross-site request and every POST) must be this machine's:
 *   http(s) on localhost, *.localhost, 127.x.x.x, [::1] or 0.0.0.0, any port; or a desktop app's
 *   (app:, tauri:, vscode-webview:, vscode-file:). `null` (a sandboxed frame, a file) is not.
 * - a `Host` must name this machine, not a site: an address, localhost or *.localhost, *.local,
 *   *.internal, *.socket, *.sock, or a bare name without a dot (what clients on the socket send:
 *   `localhost`, `x`, vectors' `vectors.socket`).
 *   A rebinding page's requests carry its own site's name, which always has a dot.
 *
 * Programs send no Origin and are not affected. The admin lets other origins in with the module's
 * KIT_ORIGINS setting (./origins.ts: exact origins, or * for every site); their Host is still judged.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './errors.js';
import { type AllowedOrigins, admitted, NO_ORIGINS, ORIGINS_ENV } from './origins.js';

const APP_SCHEMES = new Set(['app:', 'tauri:', 'vscode-webview:', 'vscode-file:']);

/** localhost, *.localhost, 127.0.0.0/8, ::1, 0.0.0.0 (a URL's hostname: IPv6 in brackets). */
function loopbackName(name: string): boolean {
  const host = name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0')
    return true;
  return host.startsWith('127.') && isIP(host) === 4;
}

function ownOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (APP_SCHEMES.has(url.protocol)) return true;
  return (url.protocol === 'http:' || url.protocol === 'https:') && loopbackName(url.hostname);
}

/**
 * Names no site can be rebound to (no public suffix): the local network's, and the socket names
 * module READMEs give clients (Qdrant's clients need a URL: vectors' `http://vectors.socket:6333`).
 */
const LOCAL_SUFFIXES = ['.local', '.internal', '.socket', '.sock'];

/**
 * The last Host judged this machine's: a client sends the same one on every request, and ownHost
 * is a function of the text alone, so the same text is served again without judging it again.
 */
let lastOwnHost = 'localhost';

/**
 * A Host that names no site: a bare name, a loopback or local name, or an address. Judged on every
 * request of every module (~1-1.5 µs, more with the caches cold after a vector search), so the
 * last Host served is remembered and the names programs send are settled before Node's isIP, whose
 * IPv6 expression alone was ~1 µs a request in vectors' profile (test/kit/browser-guard-cost).
 */
function ownHost(hostHeader: string): boolean {
  if (hostHeader === lastOwnHost) return true;
  if (!judgeHost(hostHeader)) return false;
  lastOwnHost = hostHeader;
  return true;
}

function judgeHost(hostHeader: string): boolean {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(hostHeader);
  const host = (bracketed ? bracketed[1]! : hostHeader.replace(/:\d*$/, '')).toLowerCase().replace(/\.$/, '');
  if (!host.includes('.')) return true;
  if (loopbackName(host) || LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix))) return true;
  return isIP(host) !== 0;
}

/** Shown quoted, cut short and in printable ASCII: the header is the request's, not ours. */
const quoted = (text: string) =>
  `"${(text.length > 100 ? `${text.slice(0, 100)}...` : text).replace(/[^\x20-\x7e]|["\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;

/** The 403 for a request from another site's page, or undefined for one that is served. */
export function browserRefusal(
  headers: IncomingHttpHeaders,
  allowed: AllowedOrigins = NO_ORIGINS,
): HttpError | undefined {
  const origin = headers.origin;
  if (
    origin !== undefined &&
    (typeof origin !== 'string' || !(ownOrigin(origin) || admitted(allowed, origin)))
  )
    return new HttpError(
      403,
      `refused: a request from a web page of another site (Origin ${quoted(String(origin))}); this service answers programs and this machine's own pages only, so a site in a browser cannot use it through a forwarded port. call it from a program (no Origin header), or from a page served on localhost; the admin lets that origin in with \`blueprint service config MODULE ${ORIGINS_ENV}=ORIGIN\``,
    );
  const host = headers.host;
  if (typeof host === 'string' && !ownHost(host))
    return new HttpError(
      403,
      `refused: Host ${quoted(host)} is not this machine's name (a web page whose name was made to point here, DNS rebinding). send Host localhost or an address: give the client http://127.0.0.1:PORT or http://localhost:PORT`,
    );
  return undefined;
}

/** A header list a preflight may ask for: tokens, comma separated (echoed back only then). */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * CORS for this machine's own pages (what passed browserRefusal with an Origin), as Ollama answers
 * its allowed origins: a page on http://localhost:3000 calling http://127.0.0.1:11434 through the
 * forwarder reads the answers, and its preflight (a JSON POST, an Authorization header) is
 * answered. Undefined for a request without an Origin (a program): nothing added.
 */
export function corsHeaders(
  headers: IncomingHttpHeaders,
  allowed: AllowedOrigins = NO_ORIGINS,
): Record<string, string> | undefined {
  const origin = headers.origin;
  if (typeof origin !== 'string' || browserRefusal(headers, allowed)) return undefined; // a refused one reads nothing
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/** The answer to a preflight (OPTIONS with Access-Control-Request-Method) from such a page. */
export function preflightHeaders(
  headers: IncomingHttpHeaders,
  allowed: AllowedOrigins = NO_ORIGINS,
): Record<string, string> | undefined {
  const cors = corsHeaders(headers, allowed);
  if (!cors || headers['access-control-request-method'] === undefined) return undefined;
  const asked = headers['access-control-request-headers'];
  return {
    ...cors,
    'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
    'access-control-allow-headers':
      typeof asked === 'string' && asked.length <= 2000 && HEADER_LIST.test(asked.trim())
        ? asked.trim()
        : 'Authorization, Content-Type',
    'access-control-max-age': '600',
  };
}
