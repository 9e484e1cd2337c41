/**
 * QA25: Enter on a package reads its signature and install plan before the question (from the
 * repository: seconds on a slow one) with nothing on screen meanwhile, and when that read failed
 * only the error's message was shown: its hint, what to do next, was dropped (so was the upgrade
 * plan's). Now the read is said, and a failure is shown with its hint and the console's --root.
 */
import { afterEach, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('installhint');
afterEach(() => carryRoot(undefined));

it("install's signature read is said while it runs, and its failure keeps its hint", async () => {
  carryRoot({ root: '/srv/box', typed: true });
  let fail!: (e: Error) => void;
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'hello', version: '1.0.0', installed: false, summary: 'a service' }],
      }),
      signerOf: () =>
        new Promise((_, reject) => {
          fail = reject;
        }),
    }),
  );
  consoleSize(app, 160, 30);
  await type(app, '2');
  await frameWith(app, 'hello');
  await type(app, 'i');
  await frameWith(app, "Reading hello's signature and install plan...");
  fail(new BlueprintError('index of main is out of date', 'index-stale', 'Run `bpkg update`.'));
  const f = await frameWith(app, 'out of date');
  expect(f).toContain('bpkg --root /srv/box update');
  app.unmount();
});
