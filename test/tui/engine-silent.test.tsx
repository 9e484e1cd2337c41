/**
 * QA25: an engine socket that takes the connection and never answers (a Podman hung on a stuck
 * container, a socket unit whose service does not start). The Dashboard waited for the services
 * with everything else: `Reading the host...` and nothing more, for good; 3 Services said
 * `Loading...` for good. Now the rest of the Dashboard comes without them, and after a few seconds
 * both say the engine does not answer and what checks it, with the console's --root.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { silentEngine } from '../helpers/silent-engine.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
const engine = silentEngine('bp-silent-engine-'); // takes each connection, answers nothing

beforeAll(async () => {
  root = tokenRoot('bp-qa-silent-engine-');
  await register(root, 'qasilent', consumerSpec('/run/s'));
  await engine.start();
});
afterAll(async () => {
  await engine.stop();
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => carryRoot(undefined));

it('a silent engine holds neither the Dashboard nor the Services screen', async () => {
  carryRoot({ root: root, typed: true });
  const app = renderApp(sourcesFor(root));
  consoleSize(app, 100, 30);
  // The host's rows come within the wait for the other parts, not after the engine's.
  const first = await frameWith(app, 'Memory', 120);
  expect(first).toMatch(/Services\s+\.\.\./);
  const f = await frameWith(app, 'does not answer', 400);
  expect(f.replace(/\s+/g, ' ')).toContain(`blueprint --root ${root} doctor`);
  await type(app, '3');
  const s = await frameWith(app, 'does not answer', 400);
  expect(s).not.toContain('Loading...');
  app.unmount();
}, 30_000);
