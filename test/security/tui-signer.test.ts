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
import { buildRepo, makeKey, makeSource, tempDir } from '../helpers/pkg.js';
import { frameWith, renderApp, sourcesFor, type } from '../tui/helpers.js';

const spaced = (fpr: string) =>
  fpr
    .toUpperCase()
    .replace(/(.{4})/g, '$1 ')
    .trim();
let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

it('the confirmation names the key that signed the package, not the one that signed the index', async () => {
  const work = tempDir('bp-signer-');
  const indexKey = await makeKey(path.join(work, 'index-key'), { name: 'Index Signer' });
  const packageKey = await makeKey(path.join(work, 'package-key'), { name: 'Package Signer' });
  const repo = path.join(work, 'repo');
  await buildRepo(repo, indexKey, [
    makeSource(path.join(work, 'src'), { name: 'hello-module', version: '1.0.0', summary: 'says hello' }),
  ]);
  // The package carries its own signature, by another key than the index's.
  await signFile(path.join(repo, 'pool/hello-module/hello-module_1.0.0_all.bpkg'), {
    keyFile: packageKey.privateFile,
  });
  const root = tempDir('bp-signer-root-');
  const pm = await openManager(root);
  await pm.keyring.add(indexKey.publicKey, indexKey.fingerprint);
  await pm.repos.add('main', pathToFileURL(repo).href);
  expect((await pm.update())[0]?.ok).toBe(true);
  await pm.keyring.add(packageKey.publicKey, packageKey.fingerprint);

  const app = renderApp(sourcesFor(root));
  unmount = app.unmount;
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'i');
  const confirm = await frameWith(app, 'Confirm: install hello-module?');
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
  const repo = path.join(work, 'repo');
  await buildRepo(repo, key, [
    makeSource(path.join(work, 'src'), { name: 'hello-module', version: '1.0.0' }),
  ]);
  const root = tempDir('bp-signer-root-');
  const pm = await openManager(root);
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repo).href);
  await pm.update();

  const app = renderApp(sourcesFor(root));
  unmount = app.unmount;
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'i');
  expect(await frameWith(app, 'Confirm: install hello-module?')).toContain('signed by Fleet Repo');
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
  const repo = path.join(work, 'repo');
  await buildRepo(repo, key, [
    makeSource(path.join(work, 'src'), { name: 'hello-module', version: '1.0.0' }),
  ]);
  await signFile(path.join(repo, 'pool/hello-module/hello-module_1.0.0_all.bpkg'), {
    keyFile: stranger.privateFile,
  });
  const root = tempDir('bp-signer-root-');
  const pm = await openManager(root);
  await pm.keyring.add(key.publicKey, key.fingerprint);
  await pm.repos.add('main', pathToFileURL(repo).href);
  await pm.update();

  const app = renderApp(sourcesFor(root));
  unmount = app.unmount;
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'i');
  const confirm = await frameWith(app, 'Confirm: install hello-module?');
  expect(confirm).toContain('signed by no trusted key');
  expect(confirm).not.toContain('signed by Fleet Repo');
});
