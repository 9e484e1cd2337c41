/**
 * Package manager refusals that said what went wrong but not what to do next: each now carries a
 * hint, asserted here where the refusal is made (a package archive cut short or without a
 * manifest, a local .bpkg for another CPU or with --from, a key file of two keys, a signature
 * that is not one, a URL scheme no transport serves, a bad credentials file, a redirect to
 * another protocol, a bad published repository name, a signed key rotation notice naming no key).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { armor, enums, unarmor } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { readManifestBytes } from '../../src/core/pkg/archive.js';
import { signFile } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { checkRepoNames } from '../../src/core/pkg/repo-config.js';
import { verifyDetached } from '../../src/core/pkg/signature.js';
import { readPrivateKey, signDetached } from '../../src/core/pkg/signing.js';
import { fetchBytes, transportFor } from '../../src/core/pkg/transport.js';
import { registryCredentials } from '../../src/core/pkg/transports/credentials.js';
import { updateBox } from '../../src/core/pkg/update.js';
import { hostArch } from '../../src/core/version.js';
import {
  makeKey,
  poolArchive,
  rawTar,
  serveCopy,
  signedRepo,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([{ name: 'good', version: '1.0.0' }]));
});

/** What `p` was refused with: a BlueprintError (its code and hint are what is asserted). */
async function refusal(p: Promise<unknown> | (() => unknown)): Promise<BlueprintError> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BlueprintError);
  return err as BlueprintError;
}

/**
 * A repository whose one package is `archive` as it is: listed (size, SHA-256) in an index signed by
 * `key`, with its own signature. By hand, because the repository build reads every package's
 * manifest and refuses such archives itself.
 */
async function handRepo(k: TestKey, name: string, archive: Buffer): Promise<string> {
  const dir = tempDir();
  const rel = `pool/${name}/${name}_1.0.0_all.bpkg`;
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), archive);
  await signFile(path.join(dir, rel), { keyFile: k.privateFile });
  const now = Date.now();
  const index = JSON.stringify({
    format: 1,
    repository: 'hand',
    version: 1,
    generated: new Date(now - 60_000).toISOString(),
    expires: new Date(now + 86_400_000).toISOString(),
    packages: [
      {
        name,
        version: '1.0.0',
        arch: 'all',
        summary: 'made by hand',
        depends: [],
        size: archive.length,
        sha256: createHash('sha256').update(archive).digest('hex'),
        path: rel,
      },
    ],
  });
  writeFileSync(path.join(dir, 'index.json'), index);
  writeFileSync(
    path.join(dir, 'index.json.asc'),
    await signDetached(Buffer.from(index), await readPrivateKey(k.privateKey)),
  );
  return dir;
}

describe('package archives', () => {
  it('an archive of 3 bytes (signed, listed): bad-archive, download it again', async () => {
    const root = await trustingRoot(key, await handRepo(key, 'tiny', Buffer.from('abc')));
    const err = await refusal(new PackageManager({ root }).install(['tiny']));
    expect(err).toMatchObject({ code: 'bad-archive', message: expect.stringContaining('only 3 bytes') });
    expect(err.hint).toMatch(/^Download it again; if it persists, report it to the publisher/);
  });

  it('an archive without manifest.json, installed: bad-archive, not a BlueprintOS package', async () => {
    const archive = rawTar([{ path: 'payload/share/x', data: 'x' }]);
    const root = await trustingRoot(key, await handRepo(key, 'hollow', archive));
    const err = await refusal(new PackageManager({ root }).install(['hollow']));
    expect(err).toMatchObject({ code: 'bad-archive', message: 'The package has no manifest.json' });
    expect(err.hint).toMatch(/not a BlueprintOS package.*`blueprint repo build`/);
  });

  it('readManifestBytes of an archive without manifest.json, and of one cut short', async () => {
    const dir = tempDir();
    const hollow = path.join(dir, 'hollow_1.0.0_all.bpkg');
    writeFileSync(hollow, rawTar([{ path: 'payload/x', data: 'x' }]));
    const none = await refusal(readManifestBytes(hollow));
    expect(none).toMatchObject({
      code: 'bad-archive',
      message: 'hollow_1.0.0_all.bpkg has no manifest.json',
    });
    expect(none.hint).toMatch(/not a BlueprintOS package/);
    const cut = path.join(dir, 'cut_1.0.0_all.bpkg');
    writeFileSync(
      cut,
      rawTar([{ path: 'manifest.json', data: '{"name":"cut"}'.repeat(200) }]).subarray(0, 60),
    );
    const short = await refusal(readManifestBytes(cut));
    expect(short).toMatchObject({
      code: 'bad-archive',
      message: expect.stringContaining('Corrupt package archive'),
    });
    expect(short.hint).toMatch(/^Download it again/);
  });
});

describe('installing .bpkg files', () => {
  it('one built for another CPU: wrong-arch, use the build for this machine', async () => {
    const other = hostArch() === 'aarch64' ? 'x86_64' : 'aarch64';
    const { key: k, repo: r } = await signedRepo([{ name: 'foreign', version: '1.0.0', arch: other }]);
    const file = poolArchive(r, 'foreign');
    const root = await trustingRoot(k, r);
    const err = await refusal(new PackageManager({ root }).install([file]));
    expect(err).toMatchObject({
      code: 'wrong-arch',
      message: `foreign is built for ${other}, this machine is ${hostArch()}`,
    });
    expect(err.hint).toMatch(
      new RegExp(`built for ${hostArch()}.*\`bpkg info foreign\`.*Nothing was installed`),
    );
  });

  it('with --from: a usage error that says to install them without it', async () => {
    const root = await trustingRoot(key, repo);
    const file = poolArchive(repo, 'good');
    const err = await refusal(new PackageManager({ root }).install([file], { from: 'main' }));
    expect(err).toMatchObject({ code: 'usage' });
    expect(err.hint).toMatch(/without --from.*`bpkg install --from REPO NAME`/);
  });
});

describe('keys and signatures', () => {
  it('a key file holding two keys: bad-key, one key a file', async () => {
    const second = await makeKey(path.join(tempDir(), 'second'), { name: 'Second' });
    const both = armor(
      enums.armor.publicKey,
      Buffer.concat([
        (await unarmor(key.publicKey)).data as Uint8Array,
        (await unarmor(second.publicKey)).data as Uint8Array,
      ]),
    );
    const root = await trustingRoot(key, repo);
    const err = await refusal(new PackageManager({ root }).keyring.inspect(both));
    expect(err).toMatchObject({ code: 'bad-key', message: expect.stringContaining('more than one key') });
    expect(err.hint).toMatch(/file of its own.*fingerprint.*nothing was added/);
  });

  it('a signature that is not one, read for its signers or verified: bad-signature, fetch the .asc again', async () => {
    const root = await trustingRoot(key, repo);
    const named = await refusal(new PackageManager({ root }).keyring.namedBy(Buffer.from('not a signature')));
    const verified = await refusal(verifyDetached(Buffer.from('data'), key.publicKey, [], 'The test file'));
    for (const err of [named, verified]) {
      expect(err).toMatchObject({
        code: 'bad-signature',
        message: expect.stringContaining('Unreadable signature'),
      });
      expect(err.hint).toMatch(/not an OpenPGP signature: fetch the \.asc file again/);
    }
  });

  it('a signed key rotation notice that names no key: bad-rotation, ask the publisher; keys as they were', async () => {
    const root = await trustingRoot(key, repo);
    const pm = new PackageManager({ root });
    const keysBefore = await pm.keyring.list();
    const served = serveCopy(root, repo);
    mkdirSync(path.join(served, 'keys'), { recursive: true });
    writeFileSync(path.join(served, 'keys/rotation.json'), '{"format":1}');
    await signFile(path.join(served, 'keys/rotation.json'), { keyFile: key.privateFile });
    const [out] = await updateBox(root);
    expect(out).toMatchObject({ ok: false, error: { code: 'bad-rotation' } });
    expect(out?.error?.hint).toMatch(/names no next key.*publish keys\/rotation\.json again/);
    expect(await pm.keyring.list()).toEqual(keysBefore);
  });
});

describe('where packages come from', () => {
  it('a URL scheme no transport serves: the schemes there are', async () => {
    const err = await refusal(() => transportFor('ftp://mirror.example/blueprint'));
    expect(err).toMatchObject({ code: 'usage', message: 'No transport for ftp:// URLs' });
    expect(err.hint).toBe('Give a folder, or a file://, http://, https://, oci://, s3:// URL.');
  });

  it('a credentials file that is not JSON, or whose login is not two strings: its shape', async () => {
    const file = path.join(tempDir(), 'credentials.json');
    for (const text of ['{ not json', '{"registries": {"ghcr.io": {"username": "me"}}}']) {
      writeFileSync(file, text);
      chmodSync(file, 0o600);
      const err = await refusal(registryCredentials({ credentialsFile: file }, 'ghcr.io'));
      expect(err).toMatchObject({ code: 'credentials-bad' });
      expect(err.hint).toBe(
        `Write ${file} as {"registries": {"HOST": {"username": "…", "password": "…"}}} (docs/remote-repositories.md), owned by root, mode 0600.`,
      );
    }
  });

  it('a redirect to another protocol: only http and https are followed', async () => {
    const server = createServer((_req, res) =>
      res.writeHead(302, { location: 'ftp://mirror.example/index.json' }).end(),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const err = await refusal(fetchBytes(`http://127.0.0.1:${port}/index.json`, 1024));
      expect(err).toMatchObject({ code: 'network', message: expect.stringContaining('redirect to ftp:') });
      expect(err.hint).toMatch(/^Only http and https redirects are followed/);
    } finally {
      server.close();
    }
  });

  it('a published repository name that is not one line of 1 to 100 characters', async () => {
    for (const bad of [' leading space', 'x'.repeat(101), 'two\nlines']) {
      const err = await refusal(() => checkRepoNames('main', bad));
      expect(err).toMatchObject({
        code: 'usage',
        message: `Bad published repository name ${JSON.stringify(bad)}`,
      });
      expect(err.hint).toMatch(/1 to 100 characters on one line/);
    }
  });
});
