/**
 * `repositories:` (apply) and `repository:` (setup --answers) take what `bpkg repo add` takes:
 * oci://REGISTRY/NAME[:TAG] and s3://BUCKET/PREFIX besides http(s):// and file://, and `mirrors`.
 * A bad URL or mirror is refused naming its field and the form it must have; a field still unknown
 * (strict objects) is refused too. The plan lets each URL's host out as `repo add` does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersSchema, describeIssues, type SpecInput, specSchema } from '../../src/core/setup/schema.js';
import { tempDir } from './temp-registry.js';

const FPR = 'A'.repeat(40);
const repo = (extra: Record<string, unknown>) => ({ name: 'main', key: 'k.asc', fingerprint: FPR, ...extra });
const spec = (r: Record<string, unknown>) => ({ hostname: 'box', repositories: [repo(r)] }) as SpecInput;

/** The message apply prints for `input`, or 'ok'. */
function judged(input: unknown, schema: typeof specSchema | typeof answersSchema = specSchema): string {
  const r = schema.safeParse(input);
  return r.success ? 'ok' : describeIssues(r.error, schema);
}

describe('repositories at oci:// and s3://, with mirrors', () => {
  it('accepts oci:// and s3:// URLs and mirrors of any kind repo add takes', () => {
    const r = specSchema.parse(
      spec({
        url: 'oci://registry.example.net:5000/blueprint/modules:stable',
        mirrors: [
          's3://fleet-repo/stable/modules',
          'https://mirror.example.org/bp/',
          'file:///media/usb/repo',
        ],
      }),
    );
    expect(r.repositories[0]).toMatchObject({
      url: 'oci://registry.example.net:5000/blueprint/modules:stable',
      mirrors: ['s3://fleet-repo/stable/modules', 'https://mirror.example.org/bp/', 'file:///media/usb/repo'],
    });
    expect(judged(spec({ url: 's3://fleet-repo' }))).toBe('ok');
    expect(judged(spec({ url: 'https://repo.example.org/bp' }))).toBe('ok');
    // No mirrors: none, as before.
    expect(specSchema.parse(spec({ url: 'https://repo.example.org/bp' })).repositories[0]).not.toHaveProperty(
      'mirrors',
    );
  });

  it('the answers file (one repository) takes them too', () => {
    const answers = {
      hostname: 'box',
      admin: {
        name: 'ops',
        keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me'],
      },
      ssh: { enabled: true },
      repository: repo({ url: 's3://fleet-repo/stable', mirrors: ['oci://ghcr.io/owner/modules'] }),
    };
    expect(judged(answers, answersSchema)).toBe('ok');
  });

  it('refuses a bad oci:// or s3:// URL with the form it must have', () => {
    expect(judged(spec({ url: 'oci://ghcr.io/Owner/Modules' }))).toMatch(
      /^repositories\.0\.url: must be oci:\/\/REGISTRY\/NAMESPACE\/REPO\[:TAG\] in lower case/,
    );
    expect(judged(spec({ url: 'oci://ghcr.io' }))).toMatch(/repositories\.0\.url: must be oci:\/\//);
    expect(judged(spec({ url: 's3://Fleet_Repo/x' }))).toMatch(
      /^repositories\.0\.url: must be s3:\/\/BUCKET\/PREFIX/,
    );
    // A `..` segment would name another bucket's object, signed with the box's credentials.
    expect(judged(spec({ url: 's3://fleet-repo/public/../private' }))).toMatch(
      /repositories\.0\.url: must be s3:\/\/BUCKET\/PREFIX/,
    );
    expect(judged(spec({ url: 'ftp://repo.example.org/bp' }))).toMatch(
      /^repositories\.0\.url: must be an http\(s\):\/\/ or file:\/\/ URL, or oci:\/\/REGISTRY\/NAME\[:TAG\] or s3:\/\/BUCKET\/PREFIX$/,
    );
  });

  it('refuses a bad mirror, naming it', () => {
    const url = 'https://repo.example.org/bp';
    expect(judged(spec({ url, mirrors: ['ftp://m.example.org/x'] }))).toMatch(
      /^repositories\.0\.mirrors\.0: must be an http\(s\):\/\/ or file:\/\/ URL, or oci:/,
    );
    expect(judged(spec({ url, mirrors: ['https://m.example.org/x', 's3://B/x'] }))).toMatch(
      /^repositories\.0\.mirrors\.1: must be s3:\/\/BUCKET\/PREFIX/,
    );
    // A host the firewall cannot let out by name or address.
    expect(judged(spec({ url, mirrors: ['https://*.example.org/x'] }))).toMatch(
      /^repositories\.0\.mirrors\.0: must name its host by a DNS name/,
    );
    expect(judged(spec({ url, mirrors: 'https://m.example.org/x' }))).toMatch(
      /^repositories\.0\.mirrors: must be a list of URLs/,
    );
    expect(judged(spec({ url, mirrors: [] }))).toMatch(
      /^repositories\.0\.mirrors: must list at least one URL/,
    );
  });

  it('refuses a mirror given twice, or the same as the url', () => {
    expect(
      judged(spec({ url: 'https://repo.example.org/bp', mirrors: ['https://repo.example.org/bp/'] })),
    ).toMatch(/^repositories\.0\.mirrors\.0: is the repository's url itself/);
    expect(
      judged(
        spec({ url: 'https://repo.example.org/bp', mirrors: ['oci://ghcr.io/o/m', 'oci://ghcr.io/o/m'] }),
      ),
    ).toMatch(/^repositories\.0\.mirrors\.1: "oci:\/\/ghcr\.io\/o\/m" appears twice/);
  });

  it('still refuses an unknown field, naming the near one', () => {
    expect(judged(spec({ url: 'https://repo.example.org/bp', mirror: ['https://m.example.org/x'] }))).toMatch(
      /repositories\.0: Unrecognized key: "mirror" \(did you mean mirrors\?\)/,
    );
  });
});

describe("the plan lets every URL's host out, as repo add does", () => {
  it('an s3:// url by the endpoint of the box’s AWS config, an oci:// mirror by its registry', async () => {
    const { planSetup } = await import('../../src/core/setup/plan.js');
    const root = tempDir('bp-remote-plan-');
    mkdirSync(path.join(root, 'etc/blueprint/aws'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/blueprint/aws/config'),
      '[default]\nregion = eu-west-1\nendpoint_url = https://objects.example.net:9443\n',
      { mode: 0o600 },
    );
    const s = specSchema.parse(
      spec({
        url: 's3://fleet-repo/stable',
        mirrors: ['oci://registry.example.org:5000/blueprint/modules', 'https://mirror.example.com/bp'],
      }),
    );
    const plan = await planSetup(root, s, []);
    const repos = plan.egress
      .filter((d) => d.purpose === 'repositories')
      .map((d) => `${d.host}:${d.port} ${d.source}`);
    expect(repos).toEqual([
      'objects.example.net:9443 repository main',
      'registry.example.org:5000 repository main',
      'mirror.example.com:443 repository main',
    ]);
    const rules = plan.changes.find((c) => c.target === 'etc/dnsmasq.d/50-blueprint.conf');
    expect(rules?.resource?.kind === 'file' && rules.resource.content).toMatch(
      /nftset=\/registry\.example\.org\//,
    );
  });
});
