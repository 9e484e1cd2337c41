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

/**
 * Where a bucket's objects are asked for: under the endpoint (MinIO, Ceph, s3rver: path style), else
 * AWS's virtual-hosted https://BUCKET.s3.REGION.amazonaws.com; a bucket whose name has a dot
 * (repo.example.org) path style at https://s3.REGION.amazonaws.com/BUCKET, as the AWS SDKs ask for
 * it: AWS's certificate names *.s3.REGION.amazonaws.com, one label deep, so TLS refuses the
 * virtual-hosted name of such a bucket. The S3 transport and the firewall's allow-list
 * (setup/egress-disk.ts) both take it from here, so the host let out is the host asked.
 */
export function s3BucketUrl(bucket: string, s: { region: string; endpoint?: string | undefined }): string {
  if (s.endpoint) return `${s.endpoint}/${bucket}`;
  return bucket.includes('.')
    ? `https://s3.${s.region}.amazonaws.com/${bucket}`
    : `https://${bucket}.s3.${s.region}.amazonaws.com`;
}
