/**
 * `bpkg install --dry-run` and `bpkg upgrade --dry-run` fetch a package's detached signature as
 * the install does: from each of the repository's URLs in turn (fetch.ts fromMirrors), a URL whose
 * `.asc` is missing or names no trusted key skipped for the next, the first refusal kept when none
 * serves a good one. The dry run asked the main URL only, so it refused (`no-signature`) what the
 * install took from a mirror.
 */
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { bpkg, makeKey, publishSources, type SourceSpec, type TestKey, tempDir } from '../helpers/pkg.js';
import { treeHash } from '../helpers/tree-hash.js';
import { errorLine, poolFile } from '../helpers/two-repos.js';

/** A box with repository `main` at a folder and a mirror (a copy of it), bound to `key`, updated. */
async function mirroredRoot(key: TestKey, specs: SourceSpec[]) {
  const base = tempDir('bp-mirrored-');
  const main = path.join(base, 'main');
  const mirror = path.join(base, 'mirror');
  await publishSources(main, key, specs);
  cpSync(main, mirror, { recursive: true });
  const root = tempDir('bp-root-');
  expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
  const add = await bpkg(root, ['repo', 'add', 'main', main, '--mirror', mirror, '--key', key.fingerprint]);
  expect(add.code, add.stderr).toBe(0);
  const up = await bpkg(root, ['update']);
  expect(up.code, up.stderr).toBe(0);
  return { root, main, mirror };
}

const signerOf = (stdout: string) =>
  (JSON.parse(stdout) as { changes: { name: string; signer?: string }[] }).changes.map((c) => [
    c.name,
    c.signer,
  ]);

describe('dry runs and mirrors', () => {
  it("the main URL's .asc missing, then naming an untrusted key: the mirror's is used, as the install uses it", async () => {
    const keys = tempDir('bp-keys-');
    const [key, stranger] = await Promise.all([
      makeKey(path.join(keys, 'k')),
      makeKey(path.join(keys, 's'), { name: 'Stranger' }),
    ]);
    const { root, main } = await mirroredRoot(key, [
      { name: 'alpha', version: '1.0.0' },
      { name: 'beta', version: '1.0.0' },
    ]);
    const fpr = key.fingerprint.toLowerCase();
    rmSync(`${poolFile(main, 'alpha', '1.0.0')}.asc`);
    await signFile(poolFile(main, 'beta', '1.0.0'), { keyFile: stranger.privateFile });

    for (const name of ['alpha', 'beta']) {
      const before = treeHash(root);
      const dry = await bpkg(root, ['install', '--dry-run', name]);
      const json = await bpkg(root, ['--json', 'install', '--dry-run', name]);
      expect(treeHash(root)).toEqual(before);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/Signed by trusted key [0-9A-F ]{40,}/);
      expect(json.code, json.stderr).toBe(0);
      expect(signerOf(json.stdout)).toEqual([[name, fpr]]);
    }
    const real = await bpkg(root, ['install', '--yes', 'alpha', 'beta']);
    expect(real.code, real.stderr).toBe(0);
  });

  it('no URL serves a good .asc: the dry run refuses with the first refusal, as the install does', async () => {
    const keys = tempDir('bp-keys-');
    const [key, stranger] = await Promise.all([
      makeKey(path.join(keys, 'k')),
      makeKey(path.join(keys, 's'), { name: 'Stranger' }),
    ]);
    const { root, main, mirror } = await mirroredRoot(key, [{ name: 'alpha', version: '1.0.0' }]);
    rmSync(`${poolFile(main, 'alpha', '1.0.0')}.asc`);
    await signFile(poolFile(mirror, 'alpha', '1.0.0'), { keyFile: stranger.privateFile });

    const dry = await bpkg(root, ['install', '--dry-run', 'alpha']);
    const json = await bpkg(root, ['--json', 'install', '--dry-run', 'alpha']);
    const real = await bpkg(root, ['install', '--yes', 'alpha']);
    expect(real.code, real.stdout).toBe(4);
    expect(real.stderr).toContain('has no signature in repository main');
    expect(dry.code, dry.stdout).toBe(real.code);
    expect(errorLine(dry.stderr)).toBe(errorLine(real.stderr));
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'no-signature' } });
  });

  it("upgrade --dry-run takes the new version's signature from the mirror too", async () => {
    const key = await makeKey(path.join(tempDir('bp-keys-'), 'k'));
    const { root, main, mirror } = await mirroredRoot(key, [{ name: 'alpha', version: '1.0.0' }]);
    expect((await bpkg(root, ['install', '--yes', 'alpha'])).code).toBe(0);
    await publishSources(main, key, [{ name: 'alpha', version: '1.1.0' }]);
    rmSync(mirror, { recursive: true });
    cpSync(main, mirror, { recursive: true });
    rmSync(`${poolFile(main, 'alpha', '1.1.0')}.asc`);
    expect((await bpkg(root, ['update'])).code).toBe(0);

    const dry = await bpkg(root, ['upgrade', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Signed by trusted key [0-9A-F ]{40,}/);
    const real = await bpkg(root, ['upgrade', '--yes']);
    expect(real.code, real.stderr).toBe(0);
  });
});
