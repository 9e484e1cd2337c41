import { randomBytes } from 'node:crypto';
import type { Session } from './security.js';

/**
 * The notice a page shows after a change (Post/Redirect/Get): "start hello: done", or the error.
 * Its text stays here and the redirect carries only an opaque id (`?notice=ID`). Before, the
 * redirect carried the text itself (`?error=…`), so any link could make a page show words of its
 * sender's choosing as the box's own error, a pasteable "hint" among them; the tunnel is on
 * localhost, so a crafted link opened by a logged-in admin was enough.
 *
 * An id is 128 random bits, known only to the session that made the change (another session, or
 * a link passed on, finds nothing), good once and for a few minutes; a session keeps at most a
 * few (a script posting in a loop cannot grow the server's memory). An unknown id shows nothing.
 */
export interface Notice {
  kind: 'notice' | 'error';
  text: string;
}

/** Long enough for a redirect to be followed, short enough that an old tab's link shows nothing. */
export const NOTICE_TTL_MS = 2 * 60_000;
/** A person makes one change at a time; more than this in a few minutes is a script. */
export const NOTICES_PER_SESSION = 16;

interface Kept extends Notice {
  at: number;
}

export class Notices {
  // Keyed by the session object: a session that ends takes its notices with it.
  readonly #bySession = new WeakMap<Session, Map<string, Kept>>();

  /** Keeps a notice for the session; the id to carry in the redirect. */
  put(s: Session, n: Notice): string {
    const kept = this.#bySession.get(s) ?? new Map<string, Kept>();
    this.#bySession.set(s, kept);
    const now = Date.now();
    for (const [id, k] of kept) if (now - k.at > NOTICE_TTL_MS) kept.delete(id);
    // A Map iterates in insertion order: the first is the oldest.
    while (kept.size >= NOTICES_PER_SESSION) kept.delete(kept.keys().next().value!);
    const id = randomBytes(16).toString('base64url');
    kept.set(id, { kind: n.kind, text: n.text, at: now });
    return id;
  }

  /** The session's notice under this id, once; undefined for any other id. */
  take(s: Session, id: string | null): Notice | undefined {
    const kept = id ? this.#bySession.get(s) : undefined;
    const k = kept?.get(id!);
    if (!k) return undefined;
    kept!.delete(id!);
    return Date.now() - k.at > NOTICE_TTL_MS ? undefined : { kind: k.kind, text: k.text };
  }
}
