/**
 * QA25, a lazydocker user on 3 Services: `l` showed the last screenful of a service's log and
 * followed it, but nothing scrolled back (k, PgUp, g did nothing): an error a page up was out of
 * reach. Now the log scrolls as the console's other text does; scrolled up it stays where it is
 * while lines arrive (said: `paused`), and G (the end) follows again.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('logscroll');
const PGUP = '\x1b[5~';

it('the log view follows, scrolls back, stays there while lines arrive, and G follows again', async () => {
  let emit: (l: string) => void = () => {};
  const app = renderApp(
    sourcesFor(box.root, {
      services: async () => ({
        available: true,
        value: [{ name: 'hello', state: 'running', sandboxed: true, detail: '' }],
      }),
      followLogs: async (_name, onLine, signal) => {
        emit = onLine;
        for (let i = 1; i <= 60; i++) onLine(`line ${i}`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    }),
  );
  consoleSize(app, 80, 24);
  await frameWith(app, 'Host');
  await type(app, '3');
  await frameWith(app, 'hello');
  await type(app, 'l');
  // The title follows the view a frame later: waited for together.
  let f = await frameWith(app, /following[\s\S]*line 60/);
  expect(f).toMatch(/↑ \d+ more/);
  await type(app, PGUP);
  f = await frameWith(app, /paused[\s\S]*↓ \d+ more/);
  expect(f).not.toContain('line 60');
  await type(app, 'g');
  f = await frameWith(app, /^ *line 1$/m);
  emit('line 61');
  await new Promise((r) => setTimeout(r, 200));
  f = app.lastFrame() ?? '';
  expect(f).toMatch(/^ *line 1$/m);
  expect(f).not.toContain('line 61');
  await type(app, 'G');
  f = await frameWith(app, /following[\s\S]*line 61/);
  emit('line 62');
  await frameWith(app, 'line 62');
  await type(app, 'q');
  await frameWith(app, 'Services (1)');
  app.unmount();
});

it('following, the title never says paused as lines arrive (each new line made one frame of it)', async () => {
  let emit: (l: string) => void = () => {};
  const app = renderApp(
    sourcesFor(box.root, {
      services: async () => ({
        available: true,
        value: [{ name: 'hello', state: 'running', sandboxed: true, detail: '' }],
      }),
      followLogs: async (_name, onLine, signal) => {
        emit = onLine;
        for (let i = 1; i <= 60; i++) onLine(`line ${i}`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    }),
  );
  consoleSize(app, 80, 24);
  await frameWith(app, 'Host');
  await type(app, '3');
  await frameWith(app, 'hello');
  await type(app, 'l');
  await frameWith(app, /following[\s\S]*line 60/);
  const from = app.frames.length;
  for (let i = 61; i <= 70; i++) {
    emit(`line ${i}`);
    await new Promise((r) => setTimeout(r, 30));
  }
  await frameWith(app, /following[\s\S]*line 70/);
  const paused = app.frames.slice(from).filter((f) => f.includes('paused'));
  expect(paused, paused[0]).toEqual([]);
  app.unmount();
});
