import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { parseOciUrl, parseS3Url } from '../pkg/transports/urls.js';
import { hasControl, NO_CONTROL } from '../system/text.js';
import { urlDestination } from './egress.js';

/**
 * A repository in `apply -f` (`repositories:`) and `setup --answers` (`repository:`): what
 * `bpkg repo add NAME URL --mirror URL2 --key FPR` configures, its key pinned by fingerprint.
 */

/** OpenPGP fingerprint: 40 (v4) or 64 (v6) hex digits; spaces allowed as people copy them. */
export const fingerprintField = z
  .string()
  .transform((s) => s.replace(/\s+/g, '').toUpperCase())
  .pipe(z.string().regex(/^([0-9A-F]{40}|[0-9A-F]{64})$/, 'must be 40 or 64 hex digits'));

/** The firewall lets a URL's host out by name or address (egress.ts, isDestinationHost). */
export const URL_HOST = 'must name its host by a DNS name (letters, digits, dashes, dots) or an IP address';

const KINDS = 'an http(s):// or file:// URL';
const REMOTE = 'oci://REGISTRY/NAME[:TAG] or s3://BUCKET/PREFIX';

/** Why `u` is not a URL `bpkg repo add` takes (repo-config.ts normalizeRepoUrl), or undefined. */
function badUrl(u: string): string | undefined {
  if (hasControl(u)) return NO_CONTROL;
  // The transports' own grammar (transports/urls.ts), their hint as the message.
  if (u.startsWith('oci://'))
    try {
      parseOciUrl(u);
    } catch {
      return 'must be oci://REGISTRY/NAMESPACE/REPO[:TAG] in lower case, e.g. oci://ghcr.io/owner/modules';
    }
  else if (u.startsWith('s3://'))
    try {
      parseS3Url(u.replace(/\/+$/, ''));
    } catch {
      return 'must be s3://BUCKET/PREFIX (a bucket name in lower case; letters, digits, dot, dash, underscore, tilde in the prefix; no . or .. segments)';
    }
  else if (!/^(https?|file):\/\//.test(u) || !URL.canParse(u))
    // A folder as `bpkg repo add` takes it (/media/usb/repo): its URL form said, encoded ('#', '?',
    // '%' in a name), so that it names that folder (the file transport reads it with fileURLToPath).
    return `must be ${KINDS}${u.startsWith('/') ? ` (a folder: ${pathToFileURL(u).href})` : ''}, or ${REMOTE}`;
  // s3:// is let out by the endpoint the box's AWS config names (egress-disk.ts), file:// needs none.
  if (/^(https?|oci):/.test(u) && urlDestination(u) === undefined) return URL_HOST;
  return undefined;
}

export const repositoryUrlField = z.string().superRefine((u, ctx) => {
  const why = badUrl(u);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});

/** A URL as the package manager keeps it, to compare (normalizeRepoUrl: no trailing slash but oci's). */
export const keptUrl = (u: string) => (u.startsWith('oci://') ? u : u.replace(/\/+$/, ''));

/** A repository's fields (`repositories:` entries and setup's `repository:`). */
const repositoryFields = {
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes'),
  url: repositoryUrlField,
  /**
   * Other URLs serving the same repository (`repo add --mirror`): every one is tried at each
   * update and the newest index that verifies wins. The whole list: one left out is taken off.
   */
  mirrors: z
    .array(repositoryUrlField, { error: 'must be a list of URLs, e.g. ["oci://ghcr.io/owner/modules"]' })
    .min(1, 'must list at least one URL (leave mirrors out for none)')
    .optional(),
  /** Armored public key, or the path of a file holding it (relative to the answers file). */
  key: z.string().min(1, 'must be the signing key (armored text or a file path)'),
  /** Pins the key: required in scripted mode so nothing is trusted on first use. */
  fingerprint: fingerprintField.optional(),
};

/** Each mirror once, and not the url itself. */
function mirrorsOnce(r: { url: string; mirrors?: string[] | undefined }, ctx: z.RefinementCtx): void {
  const seen = new Set([keptUrl(r.url)]);
  (r.mirrors ?? []).forEach((m, i) => {
    const k = keptUrl(m);
    if (seen.has(k))
      ctx.addIssue({
        code: 'custom',
        path: ['mirrors', i],
        message: k === keptUrl(r.url) ? "is the repository's url itself" : `"${m}" appears twice`,
      });
    seen.add(k);
  });
}

export const repositorySchema = z.strictObject(repositoryFields).superRefine(mirrorsOnce);

export type PresentRepository = z.output<typeof repositorySchema>;
/**
 * A repository the description takes off the box, as `bpkg repo remove NAME` does: its name alone
 * (what it is served from and signed by no longer matters; a URL or key beside it would read as if
 * it did).
 */
export type AbsentRepository = { name: string; state: 'absent' };

/**
 * An entry of `apply -f`'s `repositories:`: a repository the box is to have (`state: present`, the
 * default) or one it is to lose (`state: absent`, its name alone). One object of every field, so an
 * unknown one is named with the near one as anywhere else in the file (schema.ts describeIssues).
 */
export const repositoryEntrySchema = z
  .strictObject({
    ...repositoryFields,
    url: repositoryFields.url.optional(),
    key: repositoryFields.key.optional(),
    state: z.enum(['present', 'absent'], { error: 'must be present or absent' }).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.state === 'absent') {
      const extra = Object.keys(r).filter((k) => k !== 'name' && k !== 'state');
      if (extra.length)
        ctx.addIssue({
          code: 'custom',
          message: `a repository with state: absent takes only its name (leave out ${extra.join(', ')})`,
        });
      return;
    }
    for (const field of ['url', 'key'] as const)
      if (r[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required' });
    if (r.url !== undefined) mirrorsOnce({ url: r.url, mirrors: r.mirrors }, ctx);
  })
  .transform(({ state, ...r }): PresentRepository | AbsentRepository =>
    state === 'absent' ? { name: r.name, state } : (r as PresentRepository),
  );
