/**
 * A module's settings on the console's Services screen (c): each one's value, default, what it
 * allows and its description in `service config`'s words; Enter changes the chosen one, judged as
 * the CLI judges (refused in its words, nothing written), d puts it back to its default. Before,
 * only the CLI, apply -f and the dashboard showed or changed them. A registered module in a temp
 * root, the real settings file; the list asks the real engine about its container.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';
import { uniqueName } from '../services/helpers.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const engineUp = existsSync(process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock');

it.skipIf(!engineUp)('shows, changes, refuses and resets a setting from the Services screen', async () => {
  const root = tokenRoot('bp-tui-settings-');
  const name = uniqueName('tuiset');
  await register(
    root,
    name,
    parseService({
      image,
      env: { LLM_PARALLEL: '1' },
      settings: {
        LLM_PARALLEL: { type: 'integer', min: 1, max: 8, description: 'Requests <b>at once</b>' },
      },
    }),
  );
  const file = path.join(root, 'etc/blueprint/settings', `${name}.json`);
  const stored = () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);
  const app = renderApp(sourcesFor(root));
  await type(app, '3');
  await frameWith(app, name);
  await type(app, 'c');
  const shown = await frameWith(app, `Settings of ${name}`);
  expect(shown).toContain('> LLM_PARALLEL = 1 (default)  default 1; a whole number from 1 to 8');
  expect(shown).toContain('Requests <b>at once</b>');
  // Out of bounds: the CLI's refusal, nothing written.
  await type(app, '\r', '9', '\r');
  await frameWith(app, 'Refused: LLM_PARALLEL must be a whole number from 1 to 8');
  expect(stored()).toBeUndefined();
  await type(app, '\r', '4', '\r');
  const done = await frameWith(app, `They apply when ${name} next starts.`);
  // The answer's lines wrap at the screen's width: the path is long.
  expect(done.replace(/\s*\n\s*/g, ' ')).toContain(`${name}'s settings written to ${file}: LLM_PARALLEL=4`);
  expect(done).toContain('> LLM_PARALLEL = 4  default 1');
  expect(stored()).toEqual({ LLM_PARALLEL: '4' });
  await type(app, 'd');
  await frameWith(app, '(all at their defaults)');
  expect(stored()).toEqual({});
  await type(app, 'q');
  await frameWith(app, 'c settings');
  app.unmount();
});
