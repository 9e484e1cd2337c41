/**
 * QA25 bounded the Services list's wait on an engine that takes the connection and answers nothing
 * (5 s, then `The container engine does not answer …` with the doctor command). The views opened
 * from a row still waited for good: Enter said `Inspecting NAME...`, l showed an empty log, and a
 * setting changed under c waited (the change asks whether the service runs before writing). Now
 * each says the same after 5 s, with the console's --root, and keys still work. The list is handed in (read while the engine answered); inspect, the log and the
 * settings are the real core's, against a real unix socket that never answers.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { carryRoot } from '../../src/present/root-in-hints.js';
import type { Maybe, ServiceRow } from '../../src/tui/sources.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';
import { silentEngine } from '../helpers/silent-engine.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
const engine = silentEngine('bp-silent-views-'); // takes each connection, answers nothing

beforeAll(async () => {
  root = tokenRoot('bp-qa-silent-views-');
  await register(
    root,
    'qasilent',
    parseService({
      image,
      env: { LLM_PARALLEL: '1' },
      settings: { LLM_PARALLEL: { type: 'integer', min: 1, max: 8, description: 'Requests at once' } },
    }),
  );
  await engine.start();
});
afterAll(async () => {
  await engine.stop();
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => carryRoot(undefined));

const listed = async (): Promise<Maybe<ServiceRow[]>> => ({
  available: true,
  value: [{ name: 'qasilent', state: 'running', sandboxed: true, detail: '1.0.0 net:none' }],
});

it('inspect, logs and settings say the engine does not answer, and q still goes back', async () => {
  carryRoot({ root, typed: true });
  const app = renderApp(sourcesFor(root, { services: listed }));
  consoleSize(app, 120, 30);
  await type(app, '3');
  await frameWith(app, 'qasilent');
  const doctor = `blueprint --root ${root} doctor`;
  // Enter: inspect.
  await type(app, '\r');
  const i = (await frameWith(app, 'does not answer', 400)).replace(/\s+/g, ' ');
  expect(i).toContain('inspect qasilent');
  expect(i).toContain(doctor);
  // l: the log view says it under its (empty) log; q goes back.
  await type(app, 'l');
  await frameWith(app, 'Logs of qasilent');
  const l = (await frameWith(app, 'does not answer', 400)).replace(/\s+/g, ' ');
  expect(l).toContain('Logs of qasilent');
  expect(l).toContain(doctor);
  await type(app, 'q');
  await frameWith(app, 'Services (1)');
  // c: the settings are the box's files (shown at once); a change asks whether the service runs
  // first: refused after the wait, nothing written (not written later, when the engine answers).
  await type(app, 'c');
  await frameWith(app, '> LLM_PARALLEL = 1');
  await type(app, '\r', '4', '\r');
  const c = (await frameWith(app, 'does not answer', 400)).replace(/\s+/g, ' ');
  expect(c).toContain(doctor);
  expect(existsSync(path.join(root, 'etc/blueprint/settings/qasilent.json'))).toBe(false);
  await type(app, 'q');
  await frameWith(app, 'Services (1)');
  app.unmount();
}, 60_000);
