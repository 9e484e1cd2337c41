import { expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { tempRoot } from '../setup/helpers.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

/**
 * i or Enter (install) on a package that is installed already: the console asked 'Confirm:
 * install greeter?' and, after y, said only 'greeter is already installed' (before that, 'Done.'
 * alone): a question whose answer did nothing. It now says at once that greeter 1.0.0 is installed
 * and what the next steps are, and asks nothing (as x on a package not installed, 5a3dd5b8, and
 * the dashboard's install page). One installed as a dependency still asks: installing it by name
 * keeps it from autoremove.
 */
it('says the package is installed, with the next steps, and asks nothing', async () => {
  const { key, repo } = await signedRepo([{ name: 'greeter', version: '1.0.0', summary: 'hi' }]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['install', '--yes', 'greeter'])).code).toBe(0);
  const calls: string[] = [];
  const src = sourcesFor(root);
  const act = src.packageAction!;
  src.packageAction = (action, name, ...rest) => {
    calls.push(`${action} ${name}`);
    return act(action, name, ...rest);
  };
  const app = renderApp(src);
  await type(app, '2');
  await frameWith(app, /greeter\s+1\.0\.0\s+installed/);
  for (const k of ['i', '\r']) {
    await type(app, k);
    const frame = await frameWith(app, 'greeter 1.0.0 is installed (u upgrades all, x removes it)');
    expect(frame).not.toContain('Confirm');
  }
  expect(calls).toEqual([]);
  app.unmount();
});

it('a package installed as a dependency is still asked about: installing it by name keeps it', async () => {
  const { root, cleanup } = await tempRoot('instdep');
  const app = renderApp(
    sourcesFor(root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'dep', version: '1.0.0', installed: true, auto: true, summary: 's' }],
      }),
      signerOf: async () => ({ version: '1.0.0', fingerprint: 'ABCD', signer: 'Repo Key' }),
      packageAction: async () => {},
    }),
  );
  try {
    await type(app, '2');
    await frameWith(app, 'Packages (1)');
    await type(app, 'i');
    expect(await frameWith(app, 'Confirm: install dep?')).toContain('signed by Repo Key');
  } finally {
    app.unmount();
    await cleanup();
  }
});
