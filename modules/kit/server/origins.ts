/**
 * The browser origins the admin lets in besides this machine's own (./browser-guard.ts), as
 * Ollama's OLLAMA_ORIGINS: the module's KIT_ORIGINS setting (`blueprint service config NAME
 * KIT_ORIGINS=chrome-extension://ID,http://10.0.0.5:3000`, which blueprint judges and passes as
 * the environment). Exact origins, compared whole (scheme, host and port as the browser sends
 * them); `*` alone is every site, which the admin was warned about. Anything else in the list (a
 * path, a pattern) is ignored here and said once in the log: blueprint refuses it before.
 */
export const ORIGINS_ENV = 'KIT_ORIGINS';

export interface AllowedOrigins {
  /** `*`: every site's pages. */
  all: boolean;
  exact: ReadonlySet<string>;
  /** Entries not taken (not an exact origin). */
  ignored: string[];
}

export const NO_ORIGINS: AllowedOrigins = { all: false, exact: new Set(), ignored: [] };

/**
 * The origin as a browser serializes it (scheme://host[:port]), lower case as `admitted` compares
 * it, or undefined. Lower case on both sides: an opaque host (an extension's ID) keeps its case in
 * URL, and blueprint takes `chrome-extension://ABCDEF` as the admin types it, which was left out.
 */
function exact(o: string): string | undefined {
  if (o.includes('*')) return undefined;
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    return undefined;
  }
  const shown = `${url.protocol}//${url.host}`.toLowerCase();
  return url.host && shown === o.toLowerCase().replace(/\/$/, '') ? shown : undefined;
}

/** KIT_ORIGINS read: comma separated exact origins, or `*`. */
export function allowedOrigins(value: string | undefined): AllowedOrigins {
  if (!value?.trim()) return NO_ORIGINS;
  const list = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (list.length === 1 && list[0] === '*') return { all: true, exact: new Set(), ignored: [] };
  const taken = new Set<string>();
  const ignored: string[] = [];
  for (const o of list) {
    const e = exact(o);
    if (e) taken.add(e);
    else ignored.push(o);
  }
  return { all: false, exact: taken, ignored };
}

/** Whether the admin lets this Origin header in. */
export const admitted = (allowed: AllowedOrigins, origin: string): boolean =>
  allowed.all || (allowed.exact.size > 0 && allowed.exact.has(origin.toLowerCase()));
