/**
 * Issue 11, finding 8 (third point): the TUI's "signed by" line, shown before an install, named the
 * key that signed the repository's index, not the key that signed the package. It now names the
 * package's own signer, and after the install the key the install verified.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { openManager } from '../helpers/box.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';

const spaced = (fpr: string) =>
  fpr
    .toUpperCase()
    .replace(/(.{4})/g, '$1 ')
    .trim();
let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

/** A folder repository under `work` offering hello-module 1.0.0, its index signed by `key`. */
async function helloRepo(work: string, key: TestKey): Promise<string> {
  const repo = path.join(work, 'repo');
  await buildRepo(repo, key, [
    makeSource(path.join(work, 'src'), { name: 'hello-module', version: '1.0.0' }),
  ]);
  return repo;
}

/** Gives hello-module a signature of its own, by `key` (not the index's signer). */
const signPackage = (repo: string, key: TestKey) =>
  signFile(path.join(repo, 'pool/hello-module/hello-module_1.0.0_all.bpkg'), { keyFile: key.privateFile });

/** A box that trusts `key` and has `repo` as repository main, updated. */
async function trusting(key: TestKey, repo: string) {
  const root = tempDir('bp-signer-root-');
  const pm = await openManager(root);
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repo).href);
  expect((await pm.update())[0]?.ok).toBe(true);
  return { root, pm };
}

/** The console on `root`, at the question whether to install hello-module. */
async function confirmInstall(root: string) {
  const app = renderApp(sourcesFor(root));
  unmount = app.unmount;
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'i');
  return { app, confirm: await frameWith(app, 'Confirm: install hello-module?') };
}

it('the confirmation names the key that signed the package, not the one that signed the index', async () => {
  const work = tempDir('bp-signer-');
  const indexKey = await makeKey(path.join(work, 'index-key'), { name: 'Index Signer' });
  const packageKey = await makeKey(path.join(work, 'package-key'), { name: 'Package Signer' });
  const repo = await helloRepo(work, indexKey);
  await signPackage(repo, packageKey);
  const { root, pm } = await trusting(indexKey, repo);
  await pm.keyring.add(packageKey.publicKey, packageKey.fingerprint);

  const { app, confirm } = await confirmInstall(root);
  expect(confirm).toContain('signed by Package Signer');
  expect(confirm).toContain(`key ${spaced(packageKey.fingerprint)}`);
  expect(confirm).not.toContain('Index Signer');
  expect(confirm.replace(/\s/g, '')).not.toContain(indexKey.fingerprint.toUpperCase());
  await type(app, 'n');
  await frameWith(app, 'Packages (1)');
});

it('after the install, the TUI reports the key whose signature the install verified', async () => {
  const work = tempDir('bp-signer-');
  const key = await makeKey(path.join(work, 'key'), { name: 'Fleet Repo' });
  const { root, pm } = await trusting(key, await helloRepo(work, key));

  const { app, confirm } = await confirmInstall(root);
  expect(confirm).toContain('signed by Fleet Repo');
  await type(app, 'y');
  const done = await frameWith(app, 'Done.');
  expect(done).toContain(`verified: signed by ${key.fingerprint.toUpperCase()} (Fleet Repo`);
  expect(done).not.toContain('not the key shown');
  expect((await pm.installed())[0]?.signer).toBe(key.fingerprint);
});

it('a package whose signature names no trusted key says so before asking', async () => {
  const work = tempDir('bp-signer-');
  const key = await makeKey(path.join(work, 'key'), { name: 'Fleet Repo' });
  const stranger = await makeKey(path.join(work, 'stranger'), { name: 'Stranger' });
  const repo = await helloRepo(work, key);
  await signPackage(repo, stranger);
  const { root } = await trusting(key, repo);

  const { confirm } = await confirmInstall(root);
  expect(confirm).toContain('signed by no trusted key');
  expect(confirm).not.toContain('signed by Fleet Repo');
});
