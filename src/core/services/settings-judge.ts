import { hasControl } from '../system/text.js';
import type { SettingSpec } from './settings-schema.js';

/**
 * A setting's value judged against its spec: pure functions, without zod, because every service
 * plan (the start path, in the lazy part) judges the admin's settings, and zod is the manifest
 * schema's alone (test/perf/start-path keeps it out of the start).
 */

/** The most a value may be (bytes): an environment variable, shown in a terminal. */
const MAX_VALUE = 4096;

/** The range or form a setting takes, for an error and the table: "1 to 8", "on or off". */
export function allowedText(s: SettingSpec): string {
  switch (s.type) {
    case 'integer':
      return `a whole number from ${s.min} to ${s.max}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${s.values.join(', ')}`;
    case 'string':
      return s.pattern
        ? `text matching ${s.pattern} (at most ${s.maxLength} characters)`
        : `text of at most ${s.maxLength} characters`;
    case 'origins':
      return 'exact origins such as http://10.0.0.5:3000 or chrome-extension://ID, comma separated, or *';
  }
}

/** An origin as a browser sends it: scheme://host[:port], nothing after (no path, no slash). */
function exactOrigin(o: string): boolean {
  if (o.includes('*')) return false; // no wildcard within a site list (a lone * is every site)
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    return false;
  }
  if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol) || !url.host) return false;
  return url.origin === o || `${url.protocol}//${url.host}` === o;
}

export type Judged = { ok: true; value: string } | { ok: false; why: string };

/** The most one pattern's match may take: a pattern that fits a value takes microseconds. */
const PATTERN_MS = 250;
let patternRealm: import('node:vm').Context | undefined;

/**
 * Whether `value` matches the whole of `pattern`, or 'slow'. The pattern is the package's and the
 * value the admin's: a pattern that backtracks (`(a+)+` on a run of a's and a !) would hold root's
 * command, every start and the dashboard in one match for good, so the match runs in a context of
 * its own under a deadline (V8 stops a regular expression's backtracking at it).
 */
function matchesPattern(pattern: string, value: string): boolean | 'slow' {
  const vm = process.getBuiltinModule('node:vm');
  patternRealm ??= vm.createContext({});
  patternRealm.pattern = pattern;
  patternRealm.value = value;
  try {
    return (
      vm.runInContext('new RegExp("^(?:" + pattern + ")$", "u").test(value)', patternRealm, {
        timeout: PATTERN_MS,
      }) === true
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'slow';
    throw err;
  } finally {
    patternRealm.pattern = patternRealm.value = undefined;
  }
}

/**
 * A value given for a setting, judged: the environment's text for it, or why it is refused (naming
 * what is allowed). Numbers and booleans are taken from JSON (an appliance file) as from text.
 */
export function judgeSetting(s: SettingSpec, given: unknown): Judged {
  const raw = typeof given === 'number' || typeof given === 'boolean' ? String(given) : given;
  const no = (why = `must be ${allowedText(s)}`): Judged => ({ ok: false, why });
  if (typeof raw !== 'string') return no();
  if (raw.length > MAX_VALUE || hasControl(raw))
    return no(`must be ${allowedText(s)}, without control characters`);
  switch (s.type) {
    case 'integer': {
      if (!/^-?\d{1,16}$/.test(raw)) return no();
      const n = Number(raw);
      return n >= s.min && n <= s.max ? { ok: true, value: String(n) } : no();
    }
    case 'boolean':
      return raw === 'true' || raw === 'false' ? { ok: true, value: raw } : no();
    case 'enum':
      return s.values.includes(raw) ? { ok: true, value: raw } : no();
    case 'string':
      if (raw.length > s.maxLength) return no();
      if (s.pattern) {
        const m = matchesPattern(s.pattern, raw);
        if (m === 'slow')
          return no(
            `must be ${allowedText(s)}: the module's pattern took too long to judge this value (it backtracks; its publisher should simplify it), so it is refused`,
          );
        if (!m) return no();
      }
      return { ok: true, value: raw };
    case 'origins': {
      const list = raw
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
      if (list.length > 64) return no('must name at most 64 origins');
      if (list.includes('*')) return list.length === 1 ? { ok: true, value: '*' } : no('* stands alone');
      const bad = list.find((o) => !exactOrigin(o));
      if (bad !== undefined)
        return no(
          `${JSON.stringify(bad)} is not an exact origin: give scheme://host[:port] as the browser sends it (http://10.0.0.5:3000, chrome-extension://ID), no path, no wildcard but a lone *`,
        );
      return { ok: true, value: list.join(',') };
    }
  }
}

/** Whether a setting's value lets every site's pages in (said to the admin as a warning). */
export const everySite = (s: SettingSpec, value: string) => s.type === 'origins' && value === '*';
