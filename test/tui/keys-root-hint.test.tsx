/**
 * The Keys screen's footer named `bpkg key add …`, `bpkg repo add …` and `bpkg key remove FPR`
 * without the console's --root: on the demo box (`blueprint --root .demo/root`, as the README
 * opens it) they, pasted, acted on / instead. They now carry the root the console runs on, as
 * the CLI's hints do (README: "After --root DIR, the commands a hint names carry --root DIR").
 */
import { afterEach, expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { rootsPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('tuikeysroot');

afterEach(() => carryRoot(undefined));

it('names the key commands with the --root the console runs on', async () => {
  carryRoot({ root: '/srv/box', typed: true });
  const app = renderApp(sourcesFor(t.root));
  await type(app, '4');
  const frame = (await frameWith(app, 'Trusted signing keys')).replace(/\s+/g, ' ');
  expect(frame).toContain('bpkg --root /srv/box key add FILE --fingerprint FPR');
  expect(frame).toContain('bpkg --root /srv/box repo add NAME URL --key FPR');
  expect(frame).toContain('bpkg --root /srv/box key remove FPR');
  app.unmount();
});
