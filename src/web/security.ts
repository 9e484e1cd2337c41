import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, stat, unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { ensureDir } from '../app/folders.js';

/**
 * Who may use the dashboard. The socket is reachable by root and the admin group, but once an
 * admin forwards it (`ssh -L 8080:...`), every page open in their browser can send requests to
 * localhost:8080. So: a session exists only after a one-time login token (printed on the box, to
 * someone who is already root there) was presented; the session cookie is HttpOnly and
 * SameSite=Strict; the Host header must name the loopback (a DNS-rebinding page's requests carry
 * its own host name); every change carries the session's CSRF token and no cross-site origin.
 */

/** A login token lives 10 minutes, is good for one login, and is kept only as its SHA-256. */
export const LOGIN_TOKEN_TTL_MS = 10 * 60_000;
/** A session ends 12 hours after login, or after 1 hour without a request. */
export const SESSION_TTL_MS = 12 * 3600_000;
export const SESSION_IDLE_MS = 3600_000;
export const COOKIE = 'bp_session';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

/**
 * The folder where `blueprint dashboard url` leaves tokens for the running dashboard: root's
 * alone (0700), a real folder (not a link), so no other user can plant or read one. Each token
 * is a file named by its hash; logging in unlinks it, which is what makes it one-time even with
 * two logins racing (only one unlink succeeds).
 */
export async function ensureTokenDir(dir: string): Promise<void> {
  await ensureDir(dir, 0o700);
  const st = await lstat(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0)
    throw new Error(`${dir} must be a folder owned by uid ${uid} with mode 0700 (it holds login tokens)`);
}

/** Writes a fresh one-time login token and returns it (the only copy of the token itself). */
export async function issueLoginToken(dir: string): Promise<string> {
  await ensureTokenDir(dir);
  const token = newSecret();
  const fh = await open(
    path.join(dir, digest(token)),
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  await fh.close();
  return token;
}

/** True once for a token that was issued and is not older than its lifetime. */
export async function redeemLoginToken(dir: string, token: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
  const file = path.join(dir, digest(token));
  let born: number;
  try {
    const st = await lstat(file);
    if (!st.isFile()) return false;
    born = st.mtimeMs;
    await unlink(file);
  } catch {
    return false;
  }
  return Date.now() - born <= LOGIN_TOKEN_TTL_MS;
}

/** Removes tokens past their lifetime (and anything else that is no token). */
export async function sweepLoginTokens(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (!st || !/^[0-9a-f]{64}$/.test(name) || Date.now() - st.mtimeMs > LOGIN_TOKEN_TTL_MS)
      await unlink(file).catch(() => {});
  }
}

export interface Session {
  id: string;
  csrf: string;
  created: number;
  seen: number;
}

/** At most this many sessions at once: a few admins with a few browsers each. */
export const MAX_SESSIONS = 32;

/**
 * The logged-in sessions. An expired one used to be removed only when its own cookie came back
 * (or at logout), so a browser closed without logging out, or a script's every login, stayed for
 * as long as the dashboard ran. Now each login and request drops the expired ones (a pass over at
 * most MAX_SESSIONS), and a login beyond the bound drops the one idle the longest: its next
 * request gets the logged-out answer, as an expired one does.
 */
export class Sessions {
  // In the order of their last request: a session is moved to the end when used, so the first
  // is the one idle the longest.
  readonly #byId = new Map<string, Session>();
  readonly #max: number;

  constructor(o: { max?: number } = {}) {
    this.#max = Math.max(1, o.max ?? MAX_SESSIONS);
  }

  get size(): number {
    return this.#byId.size;
  }

  create(): Session {
    const now = Date.now();
    this.#sweep(now);
    while (this.#byId.size >= this.#max) this.#byId.delete(this.#byId.keys().next().value!);
    const s = { id: newSecret(), csrf: newSecret(), created: now, seen: now };
    this.#byId.set(s.id, s);
    return s;
  }

  /**
   * The live session a request's cookie names, if any; the admin's use (`touch`) keeps it alive,
   * a page's own polling does not (an open tab left alone is idle).
   */
  fromRequest(req: IncomingMessage, touch = true): Session | undefined {
    const now = Date.now();
    this.#sweep(now);
    const id = cookieValue(req.headers.cookie, COOKIE);
    const s = id ? this.#byId.get(id) : undefined;
    if (!s) return undefined;
    if (!touch) return s;
    s.seen = now;
    this.#byId.delete(s.id);
    this.#byId.set(s.id, s);
    return s;
  }

  end(s: Session): void {
    this.#byId.delete(s.id);
  }

  #sweep(now: number): void {
    for (const s of this.#byId.values())
      if (now - s.created > SESSION_TTL_MS || now - s.seen > SESSION_IDLE_MS) this.#byId.delete(s.id);
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** No `Secure`: the page is http://localhost through the tunnel (SSH is the encryption). */
export const sessionCookie = (s: Session) =>
  `${COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
export const clearedCookie = `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;

/**
 * The names a forwarded dashboard is opened by: localhost, 127.0.0.1 or [::1], any port (the
 * admin chooses the local end of `ssh -L`). Anything else is a page that made its own name
 * resolve to the loopback (DNS rebinding) or a request not meant for us.
 */
export function allowedHost(host: string | undefined): boolean {
  return !!host && /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i.test(host);
}

/**
 * A change must come from our own pages: a browser says where a request came from in Origin and
 * Sec-Fetch-Site; either one naming another site refuses it, before the session is even looked
 * at. (Tools such as curl send neither; they still need the cookie and the CSRF token.)
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host}`;
}

/**
 * A request that another site's page made (Sec-Fetch-Site `cross-site`, or `same-site`: any other
 * port of localhost or 127.0.0.1, the admin's other tunnels and dev servers, is the same site, and
 * SameSite=Strict sends the cookie with its requests): refused, but for the browser opening a page
 * (a link followed: a GET with Sec-Fetch-Mode `navigate` into a document). An <img>, a script or a
 * no-cors fetch of /services/NAME/logs made the box follow a log for a page the admin never opened.
 * Browsers without fetch metadata send none of it; they still need the cookie and, to change
 * anything, the CSRF token.
 */
export function fromElsewhere(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== 'cross-site' && site !== 'same-site') return false;
  const dest = req.headers['sec-fetch-dest'];
  const opening =
    req.method === 'GET' &&
    req.headers['sec-fetch-mode'] === 'navigate' &&
    (dest === undefined || dest === 'document');
  return !opening;
}

export function csrfMatches(s: Session, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(s.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Sent with every answer. No inline script or style anywhere, so the policy allows only this
 * origin's own files, no frames (clickjacking) and no forms to elsewhere.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not no-referrer: with it, Chromium sends `Origin: null` on our own form posts.
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};
