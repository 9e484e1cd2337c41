/**
 * The WHEN of `service logs --since/--until`, as `docker logs` and `journalctl --since` take it: a
 * duration ago (`10m`, `2h`, `1h30m`, `45s`, `3d`, `500ms`, `1.5h`), an RFC 3339 time
 * (`2026-12-05T10:00:00Z`, `…+01:00`, fractions of a second), a date-time without a zone (local
 * time, as docker takes it; `T` or a space between), a date alone (local midnight), or a Unix
 * timestamp in seconds (`1764928800`, `1764928800.5`).
 */
import { escapeLine } from './escape.js';

/** The forms accepted, for the usage error and --help. */
export const LOG_TIME_FORMS =
  'a duration ago (10m, 2h, 1h30m, 45s, 3d), an RFC 3339 time (2026-12-05T10:00:00Z), a local date-time without a zone (2026-12-05T10:00:00 or 2026-12-05), or a Unix timestamp (1764928800)';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h30m` → ms; undefined unless the whole text is one or more NUMBER UNIT parts. */
function durationMs(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A calendar date-time, at the offset `zone` gives, else local; undefined when out of range. */
function dateTimeMs(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  if (zone && m[4] === undefined) return undefined; // a zone needs a time of day
  const f = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const ms = Math.floor(Number(`0${frac}`) * 1000);
  // Out of range (month 13, 30 February, 25:00): Date rolls it over; refused instead.
  const u = new Date(Date.UTC(...f, ms));
  const back = [
    u.getUTCFullYear(),
    u.getUTCMonth(),
    u.getUTCDate(),
    u.getUTCHours(),
    u.getUTCMinutes(),
    u.getUTCSeconds(),
  ];
  if (back.some((v, i) => v !== f[i])) return undefined;
  // Local time (a time the clock skipped in spring is taken as Date takes it: an hour on).
  if (!zone) return new Date(...f, ms).getTime();
  if (/^z$/i.test(zone)) return u.getTime();
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  if (Number(z[2]) > 23 || Number(z[3]) > 59) return undefined;
  const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  return z[1] === '+' ? u.getTime() - offset : u.getTime() + offset;
}

/**
 * The instant `text` names, in milliseconds since the epoch (`now` is the time a duration counts
 * back from); undefined when it is none of the forms accepted.
 */
export function parseLogTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.floor(Number(t) * 1000);
  const ago = durationMs(t);
  if (ago !== undefined) return now - ago;
  return dateTimeMs(t);
}

/**
 * `--since` and `--until` as typed (absent: undefined) read into a window of ms since the epoch, or
 * the usage error's text for the first that is none of the forms.
 */
export function logWindow(
  given: { since?: string | undefined; until?: string | undefined },
  now: number,
): { window: { since?: number; until?: number } } | { error: string } {
  const window: { since?: number; until?: number } = {};
  for (const o of ['since', 'until'] as const) {
    const text = given[o];
    if (text === undefined) continue;
    const t = parseLogTime(text, now);
    if (t === undefined)
      return { error: `--${o} '${escapeLine(text)}' is not a time: WHEN is ${LOG_TIME_FORMS}` };
    window[o] = t;
  }
  return { window };
}
