/**
 * QA25 on 7 System of a box without A/B slots (the demo's root, a development host): the key line
 * offered f, u and b; b did nothing at all, and f and u asked for a bundle path or a repository that
 * could only end in an error after the confirmation. Now the key line says they need the slots, and
 * each of them says so when pressed, without asking anything.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('sysnoslots');

it('without A/B slots, f, u and b say why they do nothing, and ask nothing', async () => {
  const app = renderApp(sourcesFor(box.root));
  await frameWith(app, 'Host');
  await type(app, '7');
  const view = await frameWith(app, 'Not available');
  expect(view).not.toContain('f update from a file');
  expect(view).toContain('r refresh');
  for (const key of ['f', 'u', 'b']) {
    await type(app, key);
    const f = await frameWith(app, 'need the A/B slots');
    expect(f).not.toContain('Path of the bundle');
    expect(f).not.toContain('Repository to update from');
    expect(f).not.toContain('Confirm');
  }
  app.unmount();
});
