/**
 * The console's settings view with many settings: the list scrolls on an 80x24 console, keeping
 * the chosen one in view and saying how many more are above and below ('↑ N more', as the
 * console's other lists); an enum or a boolean is changed by choosing among its values with the
 * arrow keys (the CLI's judgement still decides); Esc leaves it as it was. A registered module in a temp root, the real settings file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';
import { uniqueName } from '../services/helpers.js';
import { consoleSize, expectFits, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const engineUp = existsSync(process.env.CONTAINER_HOST?.replace('unix://', '') ?? '/run/podman/podman.sock');
const DOWN = '\u001b[B';
const UP = '\u001b[A';
const RIGHT = '\u001b[C';
const LEFT = '\u001b[D';
const ESC = '\u001b';
const PGUP = '\u001b[5~';

it.skipIf(!engineUp)(
  'scrolls through 14 settings and offers the choices of an enum and a boolean',
  async () => {
    const root = tokenRoot('bp-tui-settings-many-');
    const name = uniqueName('tuimany');
    const settings: Record<string, unknown> = {};
    const env: Record<string, string> = { MODE: 'fast', VERBOSE: 'false' };
    for (let i = 1; i <= 12; i++) {
      const key = `N${String(i).padStart(2, '0')}`;
      settings[key] = { type: 'integer', min: 1, max: 99, description: `Number ${i}` };
      env[key] = String(i);
    }
    settings.MODE = { type: 'enum', values: ['fast', 'small', 'tiny'], description: 'How it runs' };
    settings.VERBOSE = { type: 'boolean', description: 'Says more' };
    await register(root, name, parseService({ image, env, settings }));
    const file = path.join(root, 'etc/blueprint/settings', `${name}.json`);
    const stored = () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);
    const app = renderApp(sourcesFor(root));
    consoleSize(app, 80, 24);
    await type(app, '3');
    await frameWith(app, name);
    await type(app, 'c');
    const first = await frameWith(app, `Settings of ${name}`);
    const from = app.frames.length - 1; // the frames of the settings view, all at 80x24
    expect(first).toContain('> N01 = 1 (default)');
    expect(first).not.toContain('VERBOSE');
    expect(first).toMatch(/↓ \d+ more/);

    // Down to the last: the list follows, the first ones scroll out.
    await type(app, ...Array(13).fill(DOWN));
    const last = await frameWith(app, '> VERBOSE = false (default)  default false; true or false');
    expect(last).not.toContain('N01 =');
    expect(last).toMatch(/↑ \d+ more/);
    expect(last).not.toContain('↓');

    // An enum: its values offered, the current one chosen; → twice and Enter sets the third.
    await type(app, UP, '\r');
    await frameWith(app, 'MODE: [fast]  small  tiny');
    await type(app, RIGHT, RIGHT);
    await frameWith(app, 'MODE: fast  small  [tiny]');
    await type(app, '\r');
    await frameWith(app, `They apply when ${name} next starts.`);
    expect(stored()).toEqual({ MODE: 'tiny' });
    await frameWith(app, '> MODE = tiny  default fast');

    // A boolean: true or false; Esc leaves it as it was, nothing written.
    await type(app, DOWN, '\r');
    await frameWith(app, 'VERBOSE: true  [false]');
    await type(app, LEFT);
    await frameWith(app, 'VERBOSE: [true]  false');
    await type(app, ESC);
    await frameWith(app, '> VERBOSE = false (default)');
    expect(stored()).toEqual({ MODE: 'tiny' });
    await type(app, '\r');
    await frameWith(app, 'VERBOSE: true  [false]');
    await type(app, LEFT, '\r');
    await frameWith(app, '> VERBOSE = true  default false');
    expect(stored()).toEqual({ MODE: 'tiny', VERBOSE: 'true' });

    // Back up a page at a time (PgUp), as the console's other lists: the first ones come back.
    await type(app, PGUP, PGUP, PGUP);
    const top = await frameWith(app, '> N01 = 1 (default)');
    expect(top).not.toContain('↑');
    expectFits(app.frames.slice(from), 80, 24);
    app.unmount();
  },
);
