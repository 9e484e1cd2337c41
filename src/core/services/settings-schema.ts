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

export { allowedText, everySite, type Judged, judgeSetting } from './settings-judge.js';
