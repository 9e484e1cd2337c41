/**
 * The first-boot wizard on a tiny terminal (QA14's walk: a serial line at 40x12, TERM=dumb). A step
 * taller than the screen (the DNS step: its prompt, two notes and what the firewall lets out) was
 * squeezed by the layout: its lines were drawn over each other ('udp any address:53low out:'), the
 * step's title and half the prompt gone, and on the SSH step the footer under the keys line
 * ('Ctrl-C quitep'). The notes now give way (cut at the bottom); the title, prompt, answer line,
 * keys and the console's first and last rows stay whole.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layout } from '../../src/core/system/paths.js';
import { boxPerTest, rootsPerTest } from '../helpers/roots.js';
import { makeStackCatalog } from '../setup/catalog-fixture.js';
import { sshPublicKey } from '../setup/helpers.js';
import {
  answerWizardToModules,
  consoleSize,
  expectFits,
  frameWith,
  renderApp,
  sourcesFor,
  type,
  typeConsolePassword,
  wizardToAdminKey,
} from './helpers.js';

const box = boxPerTest('tuitiny');

it('a step taller than a 40x12 screen keeps its title, prompt, answer and keys, lines not overlaid', async () => {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  consoleSize(app, 40, 12);
  await wizardToAdminKey(app, 'box-tiny');
  await type(app, '\x15', sshPublicKey('ops@laptop'), '\r');
  const ssh = await frameWith(app, 'Let SSH listen?');
  // The keys and the last row whole: the footer was squeezed under the keys ('Ctrl-C quitep').
  expect(ssh).toContain(' y yes  n no  Esc previous step');
  expect(ssh.split('\n').at(-1)).toBe('Esc back  Ctrl-C quit');
  await type(app, 'n');
  await typeConsolePassword(app);
  await frameWith(app, 'URL of the package');
  await type(app, '\x15', '\r');
  const start = app.frames.length;
  const dns = await frameWith(app, 'Step 9 of 13: DNS servers');
  const lines = dns.split('\n');
  expect(lines.length, dns).toBeLessThanOrEqual(12);
  expect(dns).toMatch(/^ DNS server addresses, separated by\s*$/m);
  expect(dns).toMatch(/^ > /m);
  expect(dns).toContain('Enter accept');
  expect(dns.split('\n').at(-1)).toBe('Esc back  Ctrl-C quit');
  // No row drawn over another: every row is one the step wrote whole.
  expect(dns).not.toMatch(/:53\S/);
  expectFits(app.frames.slice(start), 40, 12);
  app.unmount();
});

/**
 * TUI40: the module checklist at 40x12 needed 11-12 rows and had 10. It was drawn over the console's
 * last row ('Esc back  Ctrl-C quitaccept') and its second key row, with 'Ctrl-G help', was out of
 * sight. Now the prompt (which repeats the keys) goes, the totals shorten and the list scrolls in
 * what is left: the title, the cursor's entry, both key rows and the last row stay whole.
 */
describe('the catalog step on a 40x12 serial line', () => {
  const t = rootsPerTest('tuitiny-cat');
  const DOWN = '\x1b[B';
  const UP = '\x1b[A';
  const whole = (f: string, cursor: RegExp) => {
    const lines = f.split('\n');
    expect(lines.length, f).toBeLessThanOrEqual(12);
    expect(f).toMatch(/^ Step 13 of 13: Modules\s*$/m);
    expect(f).toMatch(cursor);
    // The entry's needs line right under it.
    expect(lines[lines.findIndex((l) => cursor.test(l)) + 1], f).toMatch(/^ {7}(needs|asks) /);
    const keys = lines.findIndex((l) => /^ Space choose {2}Enter accept\s*$/.test(l));
    expect(keys, f).toBeGreaterThan(0);
    expect(lines[keys + 1], f).toMatch(/^ Esc previous step {2}Ctrl-G help\s*$/);
    expect(lines.at(-1), f).toBe('Esc back  Ctrl-C quit');
  };

  it('keeps the title, the entry under the cursor, both key rows and the last row, whatever is chosen', async () => {
    await makeStackCatalog(t.root, t.work, { extra: 3 });
    const app = renderApp(sourcesFor(t.root), { initial: 'setup', wizardOnly: true });
    consoleSize(app, 40, 12);
    await answerWizardToModules(app, 'box-tiny');
    const start = app.frames.length;
    const first = await frameWith(app, '> [ ] emb 0.1.0');
    whole(first, /^ > \[ \] emb 0\.1\.0 /m);
    expect(first.split('\n')[1]).toMatch(/^ Step 13 of 13: Modules\s*$/);
    // Down to ragx (the 8th) and choose it: it brings three and llmx asks for a model.
    await type(app, ...Array(7).fill(DOWN), ' ');
    const rag = await frameWith(app, '> [x] ragx');
    whole(rag, /^ > \[x\] ragx 0\.1\.0 /m);
    expect(rag).toMatch(/↑ \d+ more/);
    expect(rag).toMatch(/↓ 1 more/);
    expect(rag).toMatch(/^ Choice needs 6\.0 GiB of \S+ GiB/m);
    expect(rag).toContain('llmx: choose a model-* too');
    // The model too: the warning goes.
    await type(app, UP, UP, ' ');
    const model = await frameWith(app, '> [x] model-x');
    whole(model, /^ > \[x\] model-x 1\.0\.0 /m);
    expect(model).not.toContain('choose a model');
    // The last entry and back to the first: every frame fits, no row drawn over another.
    await type(app, DOWN, DOWN, DOWN);
    whole(await frameWith(app, '> [ ] vec'), /^ > \[ \] vec 0\.1\.0 /m);
    await type(app, ...Array(8).fill(UP));
    whole(await frameWith(app, '> [ ] emb'), /^ > \[ \] emb 0\.1\.0 /m);
    expectFits(app.frames.slice(start), 40, 12);
    // Enter still accepts the choice.
    await type(app, '\r');
    await frameWith(app, 'Modules: model-x, ragx');
    app.unmount();
  });

  it('fits too on a box set up already, its two-row notice above the title', async () => {
    await makeStackCatalog(t.root, t.work, { extra: 3 });
    await mkdir(path.dirname(layout(t.root).setupMarker), { recursive: true });
    await writeFile(layout(t.root).setupMarker, '');
    const app = renderApp(sourcesFor(t.root), { initial: 'setup', wizardOnly: true });
    consoleSize(app, 40, 12);
    await answerWizardToModules(app, 'box-tiny');
    const start = app.frames.length;
    const first = await frameWith(app, '> [ ] emb 0.1.0');
    expect(first).toMatch(/^ This box is set up already: answers\s*$/m);
    whole(first, /^ > \[ \] emb 0\.1\.0 /m);
    await type(app, DOWN, DOWN, DOWN, DOWN, ' ');
    whole(await frameWith(app, '> [x] llmx'), /^ > \[x\] llmx 0\.1\.0 /m);
    expectFits(app.frames.slice(start), 40, 12);
    app.unmount();
  });
});
