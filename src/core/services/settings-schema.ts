import { z } from 'zod';
import { hasControl, hasControlButLines, NO_CONTROL } from '../system/text.js';

/**
 * The manifest's `service.settings`: the environment variables an admin may change without
 * rebuilding the package (`blueprint service config NAME KEY=VALUE`, `settings:` in an appliance
 * file), each typed and bounded. Only the environment: the sandbox (user, mounts, network,
 * devices, resources) stays the signed manifest's and the admin's approvals.
 * A setting's default is the manifest's `env` value for that key (none: unset).
 */

const description = z
  .string()
  .trim()
  .min(1, 'must say what it does')
  .max(500)
  .refine((v) => !hasControlButLines(v), NO_CONTROL);

const integer = z.strictObject({
  type: z.literal('integer'),
  min: z.number().int().min(Number.MIN_SAFE_INTEGER),
  max: z.number().int().max(Number.MAX_SAFE_INTEGER),
  description,
});
const boolean = z.strictObject({ type: z.literal('boolean'), description });
const choice = z.strictObject({
  type: z.literal('enum'),
  values: z
    .array(
      z
        .string()
        .min(1)
        .max(100)
        .refine((v) => !hasControl(v), NO_CONTROL),
    )
    .min(1)
    .max(32),
  description,
});
const string = z.strictObject({
  type: z.literal('string'),
  /** A JavaScript regular expression the whole value must match (anchored here). */
  pattern: z
    .string()
    .max(500)
    .refine((p) => {
      try {
        new RegExp(p, 'u');
        return true;
      } catch {
        return false;
      }
    }, 'must be a regular expression')
    .optional(),
  maxLength: z.number().int().min(1).max(4096).default(256),
  description,
});
/**
 * Browser origins the module's server lets in besides this machine's own (the kit's KIT_ORIGINS):
 * exact origins (scheme://host[:port]) separated by commas, or `*` for every site.
 */
const origins = z.strictObject({ type: z.literal('origins'), description });

export const settingSchema = z.discriminatedUnion('type', [integer, boolean, choice, string, origins], {
  error: 'type must be integer, boolean, enum, string or origins',
});
export type SettingSpec = z.output<typeof settingSchema>;

/** Keys blueprint sets itself (the socket, the tokens, the wiring): never an admin's. */
export const RESERVED_PREFIX = 'BLUEPRINT_';

export const settingsSchema = z
  .record(z.string(), settingSchema)
  .refine((r) => Object.keys(r).length <= 32, 'at most 32 settings')
  .superRefine((r, ctx) => {
    for (const [key, s] of Object.entries(r)) {
      // Said here, with the key: a record's key schema reports only "Invalid key in record".
      if (!/^[A-Z_][A-Z0-9_]{0,63}$/.test(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'must be an environment variable name (upper case, digits, _; at most 64)',
        });
      else if (key.startsWith(RESERVED_PREFIX))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `must not start with ${RESERVED_PREFIX}: blueprint sets those (the socket, tokens, wiring)`,
        });
      if (s.type === 'integer' && s.min > s.max)
        ctx.addIssue({ code: 'custom', path: [key, 'min'], message: 'must not be above max' });
    }
  });
export type SettingsSpec = z.output<typeof settingsSchema>;

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
      if (s.pattern && !new RegExp(`^(?:${s.pattern})$`, 'u').test(raw)) return no();
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
