import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { applyRevocation, PackageManager } from '../../src/core/pkg/index.js';
import { hostileArchives } from '../helpers/hostile-archives.js';
import {
  buildRepo,
  makeKey,
  makeSource,
  manifestJson,
  publishRaw,
  rawTar,
  serveDir,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

async function freshRepo(
  sources: Parameters<typeof makeSource>[1][] = [{ name: 'good', version: '1.0.0' }],
  signWith = key,
) {
  const base = tempDir();
  const repo = path.join(base, 'repo');
  await buildRepo(
    repo,
    signWith,
    sources.map((s) => makeSource(path.join(base, 'src'), s)),
  );
  return repo;
}

async function expectRefused(p: Promise<unknown>, code: string, message: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'operation should have been refused').toBeInstanceOf(BlueprintError);
  expect((err as BlueprintError).code).toBe(code);
  expect((err as BlueprintError).message).toMatch(message);
}

/** Nothing installed, nothing staged, no journal left behind. */
async function expectNothingInstalled(root: string) {
  const pm = new PackageManager({ root });
  expect(await pm.installed()).toEqual([]);
  expect(existsSync(path.join(root, 'var/lib/blueprint/pkg/journal.json'))).toBe(false);
  const opt = path.join(root, 'opt/blueprint');
  const left = existsSync(opt) ? readdirSync(opt) : [];
  expect(left).toEqual([]);
}

describe('repository index attacks keep the previous verified index', () => {
  it('index without a signature', async () => {
    const repo = await freshRepo();
    const root = await trustingRoot(key, repo);
    await buildRepo(repo, key, [makeSource(tempDir(), { name: 'good', version: '2.0.0' })]);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(repo, 'index.json.asc'));
    const [o] = await new PackageManager({ root }).update();
    expect(o).toMatchObject({ ok: false, error: { code: 'no-signature' } });
    expect((await new PackageManager({ root }).search('good'))[0]?.version).toBe('1.0.0');
  });

  it('index with a bad signature (content changed after signing)', async () => {
    const repo = await freshRepo();
    const root = await trustingRoot(key, repo);
    const idx = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8'));
    idx.version += 1;
    idx.packages[0].summary = 'evil';
    writeFileSync(path.join(repo, 'index.json'), JSON.stringify(idx));
    const [o] = await new PackageManager({ root }).update();
    expect(o).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect((await new PackageManager({ root }).search('good'))[0]?.summary).not.toBe('evil');
  });

  it('index signed by an untrusted key', async () => {
    const repo = await freshRepo();
    const root = await trustingRoot(key, repo);
    const stranger = await makeKey(path.join(tempDir(), 'stranger'));
    await buildRepo(repo, stranger, [makeSource(tempDir(), { name: 'good', version: '2.0.0' })]);
    const [o] = await new PackageManager({ root }).update();
    expect(o).toMatchObject({ ok: false, error: { code: 'untrusted-signer' } });
  });

  it('expired index (freeze attack) names the expiry date', async () => {
    const repo = await freshRepo();
    const root = await trustingRoot(key, repo);
    const later = new Date(Date.now() + 40 * 86_400_000);
    const pm = new PackageManager({ root, now: () => later });
    const [o] = await pm.update();
    expect(o?.ok).toBe(false);
    expect(o?.error?.code).toBe('index-expired');
    expect(o?.error?.message).toMatch(/expired on \d{4}-\d\d-\d\dT/);
    await expectRefused(pm.install(['good']), 'index-expired', /expired on/);
  });

  it('index dated in the future beyond the clock skew', async () => {
    const repo = await freshRepo();
    const root = await trustingRoot(key, repo);
    await buildRepo(repo, key, [], { now: new Date(Date.now() + 3600_000) });
    const [o] = await new PackageManager({ root }).update();
    expect(o).toMatchObject({ ok: false, error: { code: 'index-from-future' } });
  });

  it('index version lower than the accepted one (rollback attack)', async () => {
    const repo = await freshRepo();
    const old = tempDir();
    copyFileSync(path.join(repo, 'index.json'), path.join(old, 'index.json'));
    copyFileSync(path.join(repo, 'index.json.asc'), path.join(old, 'index.json.asc'));
    await buildRepo(repo, key, [makeSource(tempDir(), { name: 'good', version: '2.0.0' })]);
    const root = await trustingRoot(key, repo);
    copyFileSync(path.join(old, 'index.json'), path.join(repo, 'index.json'));
    copyFileSync(path.join(old, 'index.json.asc'), path.join(repo, 'index.json.asc'));
    const [o] = await new PackageManager({ root }).update();
    expect(o).toMatchObject({ ok: false, error: { code: 'index-rollback' } });
    expect((await new PackageManager({ root }).search('good'))[0]?.version).toBe('2.0.0');
  });
});

describe('package download attacks install nothing', () => {
  it('package whose SHA-256 differs from the index (mix-and-match from a mirror)', async () => {
    const repo = await freshRepo([{ name: 'good', version: '1.0.0', files: { a: 'one' } }]);
    const root = await trustingRoot(key, repo);
    // The mirror serves another signed build of the same name/version at the indexed path.
    const other = await freshRepo([{ name: 'good', version: '1.0.0', files: { a: 'two' } }]);
    for (const f of ['good_1.0.0_all.bpkg', 'good_1.0.0_all.bpkg.asc'])
      copyFileSync(path.join(other, 'pool/good', f), path.join(repo, 'pool/good', f));
    const err = await new PackageManager({ root }).install(['good']).catch((e: BlueprintError) => e);
    expect(err).toBeInstanceOf(BlueprintError);
    expect(['size-mismatch', 'hash-mismatch']).toContain((err as BlueprintError).code);
    expect((err as BlueprintError).message).toMatch(/signed index/);
    await expectNothingInstalled(root);
  });

  it('package with the same size but other bytes, from an HTTP mirror', async () => {
    const repo = await freshRepo();
    const server = await serveDir(repo);
    const root = await trustingRoot(key, server.url).finally(() => {});
    const f = path.join(repo, 'pool/good/good_1.0.0_all.bpkg');
    const bytes = readFileSync(f);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(f, bytes);
    await expectRefused(
      new PackageManager({ root }).install(['good']),
      'hash-mismatch',
      /differs from the signed index/,
    );
    await expectNothingInstalled(root);
  });

  it('a version not in the current index is not installable', async () => {
    const repo = await freshRepo();
    const root = await trustingRoot(key, repo);
    await expectRefused(
      new PackageManager({ root }).install(['good@9.9.9']),
      'version-not-found',
      /available: 1\.0\.0/,
    );
  });

  it('endless data: a server that sends more than the declared size is cut off', async () => {
    const repo = await freshRepo();
    const root = tempDir('bp-root-');
    let served = 0;
    const server = createServer((req, res) => {
      if (req.url?.endsWith('.bpkg')) {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (served < 1024 ** 3 && res.write(chunk)) served += chunk.length;
          if (served < 1024 ** 3) res.once('drain', pump);
          else res.end();
        };
        res.on('close', () => (served = Number.POSITIVE_INFINITY));
        pump();
        return;
      }
      try {
        res.end(readFileSync(path.join(repo, req.url ?? '')));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const pm = new PackageManager({ root });
      await pm.keyring.add(key.publicKey, key.fingerprint);
      await pm.repos.add('main', `http://127.0.0.1:${(server.address() as { port: number }).port}`);
      expect((await pm.update())[0]?.ok).toBe(true);
      await expectRefused(pm.install(['good']), 'size-mismatch', /more than its declared/);
      await expectNothingInstalled(root);
      expect(readdirSync(path.join(root, 'var/cache/blueprint/packages'))).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('signing keys that are no longer valid', () => {
  it('package signed by a key that has since expired', async () => {
    const past = new Date(Date.now() - 10 * 86_400_000);
    const shortLived = await makeKey(path.join(tempDir(), 'short'), { date: past, expiresInSeconds: 86_400 });
    const base = tempDir();
    const repo = path.join(base, 'repo');
    await buildRepo(repo, key, [makeSource(base, { name: 'good', version: '1.0.0' })]);
    // The package was signed while the key was still valid (signature dated inside its lifetime).
    const { readPrivateKey } = await import('../../src/core/pkg/signing.js');
    const openpgp = await import('openpgp');
    const pk = await readPrivateKey(shortLived.privateKey);
    const f = path.join(repo, 'pool/good/good_1.0.0_all.bpkg');
    const message = await openpgp.createMessage({ binary: readFileSync(f) });
    const sig = await openpgp.sign({
      message,
      signingKeys: pk,
      detached: true,
      date: new Date(past.getTime() + 3600_000),
    });
    writeFileSync(`${f}.asc`, sig as string);
    const root = await trustingRoot(key, repo);
    const pm = new PackageManager({ root });
    await pm.keyring.add(shortLived.publicKey, shortLived.fingerprint);
    await expectRefused(pm.install(['good']), 'key-not-valid', /expired/);
    await expectNothingInstalled(root);
  });

  it('package signed by a key that was revoked', async () => {
    const doomed = await makeKey(path.join(tempDir(), 'doomed'));
    const repo = await freshRepo([{ name: 'good', version: '1.0.0' }], doomed);
    const root = await trustingRoot(doomed, repo);
    const pm = new PackageManager({ root });
    await pm.keyring.add(
      await applyRevocation(doomed.publicKey, doomed.revocationCertificate),
      doomed.fingerprint,
    );
    expect((await pm.keyring.list())[0]?.revoked).toBe(true);
    await expectRefused(pm.install(['good']), 'signer-revoked', /revoked on this box/);
    const [o] = await pm.update();
    expect(o?.ok).toBe(false);
    await expectNothingInstalled(root);
  });

  it('a signature file with no signature packet is a failure, not a pass', async () => {
    const repo = await freshRepo();
    const root = await trustingRoot(key, repo);
    const f = path.join(repo, 'pool/good/good_1.0.0_all.bpkg.asc');
    writeFileSync(f, readFileSync(key.publicFile)); // armored, parses, but is a key, not a signature
    await expectRefused(
      new PackageManager({ root }).install(['good']),
      'bad-signature',
      /Unreadable signature|no signature/,
    );
    await expectNothingInstalled(root);
  });
});

describe('hostile archives are refused before anything is installed', () => {
  const cases = hostileArchives;

  for (const [what, entries, message] of cases) {
    it(what, async () => {
      const repo = tempDir();
      await publishRaw(repo, key, 'evil', '1.0.0', rawTar(entries));
      const root = await trustingRoot(key, repo);
      await expectRefused(new PackageManager({ root }).install(['evil']), 'unsafe-archive', message);
      await expectNothingInstalled(root);
      expect(existsSync(path.join(root, 'etc/passwd'))).toBe(false);
    });
  }

  it('decompression bomb', async () => {
    const repo = tempDir();
    // Random bytes first keep the ratio under node-tar's own 1000x guard, so ours is what stops it.
    const { randomBytes } = await import('node:crypto');
    const data = Buffer.concat([randomBytes(400 * 1024), Buffer.alloc(290 * 1024 * 1024)]);
    const bomb = rawTar([
      { path: 'manifest.json', data: manifestJson('evil', '1.0.0') },
      { path: 'payload/zeros', data },
    ]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await publishRaw(repo, key, 'evil', '1.0.0', bomb);
    const root = await trustingRoot(key, repo);
    await expectRefused(
      new PackageManager({ root }).install(['evil']),
      'unsafe-archive',
      /decompression bomb/,
    );
    await expectNothingInstalled(root);
  });

  it('manifest failing the schema inside a signed package', async () => {
    const repo = await freshRepo([{ name: 'evil', version: '1.0.0' }]);
    const f = path.join(repo, 'pool/evil/evil_1.0.0_all.bpkg');
    writeFileSync(
      f,
      rawTar([
        {
          path: 'manifest.json',
          data: JSON.stringify({ name: 'evil', version: '1.0.0', arch: 'all', summary: 7 }),
        },
      ]),
    );
    const { signFile } = await import('../../src/core/pkg/build.js');
    await signFile(f, { keyFile: key.privateFile });
    const idx = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8'));
    const { sha256File } = await import('../../src/core/pkg/transport.js');
    idx.packages[0].size = readFileSync(f).length;
    idx.packages[0].sha256 = await sha256File(f);
    idx.version += 1;
    writeFileSync(path.join(repo, 'index.json'), JSON.stringify(idx));
    await signFile(path.join(repo, 'index.json'), { keyFile: key.privateFile });
    const root = await trustingRoot(key, repo);
    await expectRefused(new PackageManager({ root }).install(['evil']), 'bad-manifest', /summary: /);
    await expectNothingInstalled(root);
  });

  it('manifest whose name or version differs from its index entry', async () => {
    const repo = tempDir();
    await publishRaw(
      repo,
      key,
      'evil',
      '1.0.0',
      rawTar([{ path: 'manifest.json', data: manifestJson('evil', '1.0.0') }]),
    );
    const idx = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8'));
    idx.packages[0].version = '1.0.1';
    idx.version += 1;
    writeFileSync(path.join(repo, 'index.json'), JSON.stringify(idx));
    const { signFile } = await import('../../src/core/pkg/build.js');
    await signFile(path.join(repo, 'index.json'), { keyFile: key.privateFile });
    const root = await trustingRoot(key, repo);
    await expectRefused(
      new PackageManager({ root }).install(['evil']),
      'manifest-mismatch',
      /manifest version "1.0.0" does not match the index \("1.0.1"\)/,
    );
    await expectNothingInstalled(root);
  });
});
