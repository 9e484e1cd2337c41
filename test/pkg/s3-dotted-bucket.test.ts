/**
 * QA20's fleet walk: a bucket named like a domain (repo.example.org, as buckets serving a site are)
 * was asked for at https://repo.example.org.s3.REGION.amazonaws.com, AWS's virtual-hosted name.
 * AWS's certificate covers *.s3.REGION.amazonaws.com, one label deep, so Node refused the TLS
 * connection for every such bucket (the AWS SDKs take path style for them for that reason), and
 * the firewall let out that name. Now a bucket with a dot is asked for path style at
 * https://s3.REGION.amazonaws.com/BUCKET, and the firewall lets out that host. Judged with Node's own
 * check of a server's name against the names AWS's S3 certificate carries.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { s3BucketUrl } from '../../src/core/pkg/transports/urls.js';
import { repositoryUrls } from '../../src/core/setup/egress-disk.js';
import { tempDir } from '../helpers/pkg.js';

/** The names on AWS's S3 certificate for a region (as s3.eu-west-1.amazonaws.com serves it). */
const awsCertificate = (region: string) =>
  ({
    subject: { CN: `s3-${region}.amazonaws.com` },
    subjectaltname: [
      `DNS:s3-${region}.amazonaws.com`,
      `DNS:*.s3-${region}.amazonaws.com`,
      `DNS:s3.${region}.amazonaws.com`,
      `DNS:*.s3.${region}.amazonaws.com`,
      `DNS:s3.dualstack.${region}.amazonaws.com`,
      `DNS:*.s3.dualstack.${region}.amazonaws.com`,
    ].join(', '),
  }) as unknown as PeerCertificate;

describe('S3 buckets whose name has a dot', () => {
  it('are asked for where AWS’s certificate holds, and the firewall lets out that host', async () => {
    const root = tempDir('bp-s3dot-');
    mkdirSync(path.join(root, 'etc/blueprint/aws'), { recursive: true });
    writeFileSync(path.join(root, 'etc/blueprint/aws/config'), '[default]\nregion = eu-west-1\n');
    for (const bucket of ['fleet-repo', 'repo.example.org']) {
      const url = new URL(s3BucketUrl(bucket, { region: 'eu-west-1' }));
      expect(url.protocol).toBe('https:');
      expect(checkServerIdentity(url.hostname, awsCertificate('eu-west-1')), bucket).toBeUndefined();
      const [egress] = await repositoryUrls(root, [{ name: 'fleet', url: `s3://${bucket}/stable` }]);
      expect(new URL(egress!.url).host).toBe(url.host);
    }
    expect(s3BucketUrl('repo.example.org', { region: 'eu-west-1' })).toBe(
      'https://s3.eu-west-1.amazonaws.com/repo.example.org',
    );
    expect(s3BucketUrl('fleet-repo', { region: 'eu-west-1' })).toBe(
      'https://fleet-repo.s3.eu-west-1.amazonaws.com',
    );
    // An endpoint (MinIO, s3rver) is path style whatever the name.
    expect(s3BucketUrl('repo.example.org', { region: 'x', endpoint: 'http://127.0.0.1:9000' })).toBe(
      'http://127.0.0.1:9000/repo.example.org',
    );
  });
});
