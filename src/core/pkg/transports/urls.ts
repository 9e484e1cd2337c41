import { UsageError } from '../../errors.js';

/**
 * The remote repositories' URLs judged (oci.ts, s3.ts use them; repo-config.ts judges a URL given
 * to `repo add` with them): in a module of their own, so that reading the repositories'
 * configuration does not load the transports themselves (HTTP and node:net, aws4fetch, the
 * credentials' reader), which a folder repository never needs (issue 20).
 */

export interface OciRef {
  registry: string;
  name: string;
  tag: string;
}

/** `oci://REGISTRY/NAME[:TAG]` by the distribution spec's grammar; anything else is refused. */
export function parseOciUrl(base: string): OciRef {
  const m =
    /^oci:\/\/([a-z0-9.-]+(?::[0-9]{1,5})?)\/([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?$/.exec(
      base,
    );
  if (!m)
    throw new UsageError(
      `Bad OCI repository URL ${base}`,
      'Use oci://REGISTRY/NAMESPACE/REPO[:TAG] in lower case, e.g. oci://ghcr.io/owner/modules',
    );
  return { registry: m[1]!, name: m[2]!, tag: m[3] ?? 'latest' };
}

export function parseS3Url(base: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])((?:\/[A-Za-z0-9._~-]+)*)\/?$/.exec(base);
  // `.` and `..` would be resolved when the object's URL is parsed: `/public/../private/x` is
  // another bucket's object, signed with the box's credentials.
  if (!m || m[2]!.split('/').some((seg) => seg === '.' || seg === '..'))
    throw new UsageError(
      `Bad S3 repository URL ${base}`,
      'Use s3://BUCKET/PREFIX (letters, digits, dot, dash, underscore, tilde in the prefix; no . or .. segments).',
    );
  return { bucket: m[1]!, prefix: m[2]!.replace(/^\//, '') };
}
