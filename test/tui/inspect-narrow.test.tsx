/**
 * CONSOLE3's walk at 40 columns: a service's inspection (Enter on 3 Services) showed each line cut at
 * the screen's width, so at 40 columns its longer lines lost their ends (the restart a changed
 * limit needs, a rating point's reason) and the title its keys. Now each line wraps, its
 * continuation indented under it, and the title wraps too.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, expectFits, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('inspectnarrow');

it('40×14: every inspection line whole, wrapped under its own indentation', async () => {
  const long =
    '  hello: runs with a memory limit of 128 MiB; its next start gives it 96 MiB: `blueprint service restart hello`';
  const app = renderApp(
    sourcesFor(box.root, {
      services: async () => ({
        available: true,
        value: [{ name: 'hello', state: 'running', sandboxed: true, detail: '' }],
      }),
      inspect: async () => ['hello 1.0.0 (running)', long, '  memory limit 128 MiB'],
    }),
  );
  consoleSize(app, 40, 14);
  await type(app, '3');
  await frameWith(app, 'hello');
  const start = app.frames.length;
  await type(app, '\r');
  const f = await frameWith(app, 'memory limit 128 MiB');
  const flat = f.replace(/\s+/g, ' ');
  expect(flat).toContain('`blueprint service restart hello`');
  expect(flat).toContain('j/k, PgUp/PgDn, g/G scroll; Esc back)');
  // The continuation rows sit under the line's own text, not at the margin.
  const rows = f.split('\n');
  const at = rows.findIndex((r) => r.includes('hello: runs with'));
  expect(rows[at + 1]).toMatch(/^ {4,}\S/);
  expectFits(app.frames.slice(start), 40, 14);
  app.unmount();
});
