/**
 * S3 buckets (and S3-compatible stores) as repositories: `s3://BUCKET/PREFIX`, each file the object
 * PREFIX/REL. Requests are signed (Signature V4) by aws4fetch, not by hand; credentials, region and
 * endpoint come the AWS way (see awsSettings). An endpoint given means path-style addressing
 * (MinIO, Ceph, s3rver); without one, AWS's virtual-hosted https://BUCKET.s3.REGION.amazonaws.com
 * (path style for a bucket with a dot in its name: urls.ts s3BucketUrl).
 */
import { AwsClient } from 'aws4fetch';
import { BlueprintError, NotFoundError, VerificationError } from '../../errors.js';
import { type AwsSettings, awsSettings } from './credentials.js';
import { lengthOf, readSmall, request } from './http.js';
import type { Transport, TransportOptions } from './types.js';
import { parseS3Url, s3BucketUrl } from './urls.js';

export { parseS3Url } from './urls.js';

function objectUrl(s: AwsSettings, bucket: string, key: string): string {
  const segs = key.split('/');
  // Judged again where the URL is made (a key reaches here from openStream, prefix and all).
  if (segs.some((seg) => seg === '.' || seg === '..'))
    throw new VerificationError(
      `S3 key ${JSON.stringify(key)} has a . or .. segment: its URL would name another object or bucket`,
      'path-outside-repository',
      'Give the repository as s3://BUCKET/PREFIX without . or .. segments.',
    );
  const k = segs.map(encodeURIComponent).join('/');
  return `${s3BucketUrl(bucket, s)}/${k}`;
}

async function signed(s: AwsSettings, url: string, method: string, headers: Record<string, string> = {}) {
  const client = new AwsClient({
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    ...(s.sessionToken ? { sessionToken: s.sessionToken } : {}),
    service: 's3',
    region: s.region,
  });
  const req = await client.sign(url, { method, headers });
  const out: Record<string, string> = {};
  req.headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

/** An S3 error reply's Code (XML), for the message; never trusted for anything else. */
async function s3Code(body: import('node:stream').Readable): Promise<string> {
  const text = (await readSmall(body, 8192)).toString('utf8');
  return /<Code>([A-Za-z]{1,64})<\/Code>/.exec(text)?.[1] ?? 'unknown';
}

/** The hint for a bucket S3 says is not there: its name in the URL, or the endpoint, is wrong. */
const noBucket = (s: AwsSettings, bucket: string, which: string) =>
  `No bucket ${bucket} at ${s.endpoint ?? `S3 region ${s.region}`}: check ${which} and the endpoint (AWS_ENDPOINT_URL_S3, or the profile's endpoint_url).`;

export function s3Transport(opts: () => TransportOptions): Transport {
  const key = (prefix: string, rel: string) => (prefix ? `${prefix}/${rel}` : rel);
  const refused = async (what: string, res: { status: number; body: import('node:stream').Readable }) => {
    const code = await s3Code(res.body);
    return new BlueprintError(
      `S3 refused to ${what}: HTTP ${res.status} ${code}`,
      res.status === 403 ? 'access-denied' : 'network',
      'Check the AWS credentials and that they may list and delete in the bucket (s3:ListBucket, s3:DeleteObject).',
    );
  };
  return {
    async list(base, under, signal) {
      const { bucket, prefix } = parseS3Url(base);
      const s = await awsSettings(opts());
      const bucketUrl = objectUrl(s, bucket, '').replace(/\/$/, '');
      const out: { rel: string; stored: number }[] = [];
      let token: string | undefined;
      // ListObjectsV2, a page (1,000 keys) at a time; 100 pages at most: a prefix of signatures
      // kept small by pruning never has that many, and a bucket's answers are not trusted to end.
      for (let page = 0; page < 100; page++) {
        const q = new URLSearchParams({ 'list-type': '2', prefix: key(prefix, under) });
        if (token) q.set('continuation-token', token);
        const url = `${bucketUrl}/?${q}`;
        const res = await request(
          { url, headers: await signed(s, url, 'GET'), signal, redirects: 0 },
          opts(),
        );
        if (res.status !== 200) throw await refused(`list ${base}/${under}`, res);
        const xml = (await readSmall(res.body, 4 * 1024 * 1024)).toString('utf8');
        for (const [, c] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const k = /<Key>([^<]*)<\/Key>/.exec(c!)?.[1];
          const at = Date.parse(/<LastModified>([^<]*)<\/LastModified>/.exec(c!)?.[1] ?? '');
          const rel = k && prefix ? (k.startsWith(`${prefix}/`) ? k.slice(prefix.length + 1) : undefined) : k;
          if (rel && Number.isFinite(at)) out.push({ rel, stored: at });
        }
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1]
          : undefined;
        if (!token) break;
      }
      return out;
    },
    async remove(base, rel, signal) {
      const { bucket, prefix } = parseS3Url(base);
      const s = await awsSettings(opts());
      const url = objectUrl(s, bucket, key(prefix, rel));
      const res = await request(
        { method: 'DELETE', url, headers: await signed(s, url, 'DELETE'), signal },
        opts(),
      );
      if (res.status === 204 || res.status === 200 || res.status === 404) return void res.body.resume();
      throw await refused(`delete ${base}/${rel}`, res);
    },
    async open(base, rel, signal) {
      const { bucket, prefix } = parseS3Url(base);
      const s = await awsSettings(opts());
      const url = objectUrl(s, bucket, key(prefix, rel));
      const res = await request({ url, headers: await signed(s, url, 'GET'), signal, redirects: 0 }, opts());
      if (res.status === 200) {
        const length = lengthOf(res.headers);
        return { body: res.body, ...(length !== undefined ? { length } : {}) };
      }
      const code = await s3Code(res.body);
      if (res.status === 404)
        throw new NotFoundError(
          `${base}/${rel} not found (${code})`,
          code === 'NoSuchBucket'
            ? noBucket(s, bucket, 'the repository URL (`bpkg repo list`)')
            : 'The repository may be incomplete.',
          'not-found-remote',
        );
      if (res.status === 403)
        throw new BlueprintError(
          `S3 refused ${base}/${rel}: ${code}`,
          'access-denied',
          'Check the AWS credentials (environment or /etc/blueprint/aws/credentials) and the bucket policy: readers need s3:GetObject, and s3:ListBucket on the prefix so that a missing object (keys/rotation.json) is answered 404, not 403.',
        );
      throw new BlueprintError(
        `S3 ${base}/${rel}: HTTP ${res.status} ${code}`,
        'network',
        'Try again later.',
      );
    },
    async ready() {
      await awsSettings(opts());
    },
    // The same bytes stored by an earlier publish (each package of every version, at each
    // publish): not sent again. Only a skip is decided from the bucket's answer: readers check
    // what they get against the signed index whatever it says. Judged by the ETag, which S3
    // computes (the MD5 of an object stored in one PUT, as publish stores them), not by the
    // x-amz-meta-sha256 put beside it: anyone who can write the bucket sets that, and other bytes
    // under the old claim were kept, so publishing again never repaired a package every box
    // refuses as damaged. An ETag that is no MD5 (SSE-KMS, SSE-C) holds when it is the one S3
    // answered an earlier publish's PUT of these bytes with (`etag`, publish-record.ts): storing
    // the object again gives it another. No such ETag, a 403 (no s3:GetObject): sent again.
    async holds(base, rel, { sha256, md5, size, etag }, signal) {
      const { bucket, prefix } = parseS3Url(base);
      const s = await awsSettings(opts());
      const url = objectUrl(s, bucket, key(prefix, rel));
      const head = await request(
        { method: 'HEAD', url, headers: await signed(s, url, 'HEAD'), signal, redirects: 0 },
        opts(),
      );
      head.body.resume();
      return (
        head.status === 200 &&
        (head.headers.etag === `"${md5}"` || (etag !== undefined && head.headers.etag === etag)) &&
        head.headers['x-amz-meta-sha256'] === sha256 &&
        lengthOf(head.headers) === size
      );
    },
    async put(base, rel, file, sha256, signal) {
      const { size } = file;
      const { bucket, prefix } = parseS3Url(base);
      const s = await awsSettings(opts());
      const url = objectUrl(s, bucket, key(prefix, rel));
      const headers = await signed(s, url, 'PUT', {
        'x-amz-content-sha256': sha256,
        'x-amz-meta-sha256': sha256,
        'content-length': String(size),
        'content-type': 'application/octet-stream',
      });
      // The answer (and an error's text) is read under `signal` too: the file's deadline.
      const res = await request({ method: 'PUT', url, headers, body: file, signal }, opts());
      if (res.status === 200) {
        res.body.resume();
        const etag = res.headers.etag;
        return typeof etag === 'string' && /^[\x21-\x7e]{1,256}$/.test(etag) ? { etag } : {};
      }
      const code = await s3Code(res.body);
      throw new BlueprintError(
        `S3 refused to store ${base}/${rel}: HTTP ${res.status} ${code}`,
        res.status === 403 ? 'access-denied' : 'network',
        code === 'NoSuchBucket'
          ? noBucket(s, bucket, 'the --to URL')
          : 'Check the AWS credentials and that they may write to the bucket.',
      );
    },
  };
}
