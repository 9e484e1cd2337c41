/**
 * A fleet declares in `apply -f` what `bpkg repo add NAME s3://… --mirror oci://…` configures: a
 * repository in an S3 bucket (s3rver, its endpoint from the box's own AWS config) with a mirror in
 * an OCI registry (Debian's docker-registry over TLS). Apply trusts the pinned key, adds both URLs,
 * lets both hosts out, installs a module through them, and `bpkg update` then works through them
 * (the mirror's newer index wins). Applied again it changes nothing; with the mirror taken out of the
 * file, the box's repository loses it (the plan says so), and its host is no longer let out. The
 * real executable, real servers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { bpkg, makeKey, run, type TestKey, tempDir } from '../helpers/pkg.js';
import { haveRegistry, type Registry, startRegistry } from '../helpers/registry.js';
import { awsRoot, goodVersions, publisherEnv, startS3rver } from '../helpers/s3-server.js';
import { requireExe } from '../tui/tmux.js';

let key: TestKey;
let s3: S3rver;
let endpoint: string;
let reg: Registry;
let caFile: string;
const PRIMARY = 's3://blueprint-repo/fleet/modules';
let mirror: string;

/** A new box root whose /etc/blueprint/aws names the S3 server (root-only files, as on a box). */
const boxRoot = () => awsRoot(endpoint, { prefix: 'bp-apply-remote-' });

function description(dir: string, mirrors: string[]): string {
  const file = path.join(dir, 'box.yaml');
  writeFileSync(
    file,
    [
      'hostname: edge-21',
      'repositories:',
      '  - name: main',
      `    url: ${PRIMARY}`,
      ...(mirrors.length ? [`    mirrors: [${mirrors.map((m) => JSON.stringify(m)).join(', ')}]`] : []),
      `    key: ${key.publicFile}`,
      `    fingerprint: "${key.fingerprint}"`,
      'modules: [{ name: good, state: installed }]',
      '',
    ].join('\n'),
  );
  return file;
}

const env = () => ({ NODE_EXTRA_CA_CERTS: caFile });
const apply = (root: string, file: string, ...more: string[]) =>
  run(['--root', root, '--json', 'apply', '-f', file, ...more], { env: env() });
const port = (u: string) => new URL(u.replace(/^oci:/, 'https:')).port;

describe.skipIf(!haveRegistry)('apply -f: a repository in S3 with a mirror in an OCI registry', () => {
  beforeAll(async () => {
    requireExe();
    key = await makeKey(path.join(tempDir(), 'key'));
    ({ server: s3, endpoint } = await startS3rver());
    reg = await startRegistry();
    caFile = path.join(tempDir(), 'ca.pem');
    writeFileSync(caFile, reg.caPem);
    mirror = `${reg.url}/blueprint/modules`;
    // The publisher's own credentials (this process), as test/pkg/s3 and oci publish.
    configureTransports({
      ca: [reg.caPem],
      env: publisherEnv(endpoint),
    });
    // The bucket serves index version 1 (good 1.0.0), the mirror the newer version 2 (good 2.0.0).
    await publishRepository(await goodVersions(key, ['1.0.0']), PRIMARY);
    await publishRepository(await goodVersions(key, ['1.0.0', '2.0.0']), mirror);
  }, 120_000);
  afterAll(async () => {
    reg?.stop();
    await s3?.close();
  });

  it('adds both URLs, lets both hosts out, installs through them; bpkg update works; again: no change', async () => {
    const root = boxRoot();
    const file = description(tempDir(), [mirror]);
    const dry = await apply(root, file, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout);
    const allowed = (planned.egress as { purpose: string; host: string; port: number }[])
      .filter((d) => d.purpose === 'repositories')
      .map((d) => `${d.host}:${d.port}`);
    expect(allowed).toEqual([`127.0.0.1:${port(endpoint)}`, `127.0.0.1:${port(mirror)}`]);

    const first = await apply(root, file);
    expect(first.code, first.stderr).toBe(0);
    const config = JSON.parse(readFileSync(path.join(root, 'etc/blueprint/repos.d/main.json'), 'utf8'));
    expect(config).toMatchObject({ url: PRIMARY, mirrors: [mirror], keys: [key.fingerprint.toLowerCase()] });
    const rules = readFileSync(path.join(root, 'etc/nftables.conf'), 'utf8');
    for (const p of [port(endpoint), port(mirror)])
      expect(rules).toMatch(new RegExp(`ip daddr \\{ [^}]*127\\.0\\.0\\.1[^}]* \\} tcp dport ${p} `));

    const list = await bpkg(root, ['--json', 'list'], env());
    expect(
      JSON.parse(list.stdout).map((p: { name: string; version: string }) => `${p.name} ${p.version}`),
    ).toEqual(['good 2.0.0']);
    const up = await bpkg(root, ['--json', 'update'], env());
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).toEqual([
      expect.objectContaining({ repo: 'main', ok: true, version: 2, url: mirror }),
    ]);

    const again = await apply(root, file, '--dry-run');
    expect(again.code, again.stderr).toBe(0);
    const changes = JSON.parse(again.stdout).changes as { kind: string; action: string }[];
    expect(changes.filter((c) => c.action !== 'unchanged')).toEqual([]);
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'repository', action: 'unchanged' }));
  });

  it('a module of a new repository in S3 alone is judged with the box’s own AWS settings', async () => {
    // The plan fetches a new repository's index in a scratch box to judge the module's name: that
    // box had no AWS credentials ('cannot be checked: … No AWS credentials'), so an S3-only fleet
    // repository with modules could not be applied.
    const root = boxRoot();
    const r = await apply(root, description(tempDir(), []));
    expect(r.code, r.stderr).toBe(0);
    const list = await bpkg(root, ['--json', 'list'], env());
    expect(
      JSON.parse(list.stdout).map((p: { name: string; version: string }) => `${p.name} ${p.version}`),
    ).toEqual(['good 1.0.0']);
  });

  it('a mirror taken out of the file is taken off the box and out of the allow-list', async () => {
    const root = boxRoot();
    const dir = tempDir();
    expect((await apply(root, description(dir, [mirror]))).code).toBe(0);
    const file = description(dir, []);
    const dry = await apply(root, file, '--dry-run');
    const changed = (
      JSON.parse(dry.stdout).changes as { kind: string; action: string; detail?: string }[]
    ).filter((c) => c.kind === 'repository');
    expect(changed).toEqual([expect.objectContaining({ action: 'update', detail: `mirrors: - ${mirror}` })]);
    const r = await apply(root, file);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(path.join(root, 'etc/blueprint/repos.d/main.json'), 'utf8'));
    expect(config.url).toBe(PRIMARY);
    expect(config).not.toHaveProperty('mirrors');
    expect(readFileSync(path.join(root, 'etc/nftables.conf'), 'utf8')).not.toMatch(
      new RegExp(`tcp dport ${port(mirror)} `),
    );
    // The index accepted from the mirror is kept (changing mirrors is not removing the repository):
    // the bucket's older one is a rollback, refused.
    const up = await bpkg(root, ['--json', 'update'], env());
    expect(JSON.parse(up.stdout)).toEqual([
      expect.objectContaining({
        repo: 'main',
        ok: false,
        error: expect.objectContaining({ code: 'index-rollback' }),
      }),
    ]);
  });
});
