/**
 * QA25 on a 40×12 serial line: the Dashboard's rows are more than the screen's 10 between its top
 * and key lines. Ink squeezed them and painted them over each other (`Diskry`: Disk over Memory),
 * and the last rows (Egress, Exposure) could not be reached. Now each row keeps its line, what is
 * out of sight is said (`↓ N more`), and j/k (and the arrows, g/G) scroll.
 */
import { expect, it } from 'vitest';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('dashtiny');
const LABELS = /^ (Host|System|CPU|Memory|Disk|GPUs|Updates|Services|Data|Key|Egress|Exposure) /;

/** The rows between the top and key lines: each a label of its own or a continuation. */
function body(frame: string): string[] {
  return frame.split('\n').slice(1, -1);
}

it('at 40×12 the Dashboard rows are not drawn over each other, and j/k reach the last', async () => {
  const app = renderApp(sourcesFor(box.root));
  consoleSize(app, 40, 12);
  const f = await frameWith(app, /↓ \d+ more/);
  expect(f.split('\n').length).toBeLessThanOrEqual(12);
  for (const l of body(f)) expect(l, f).toMatch(new RegExp(`${LABELS.source}|^ {5,}\\S|^\\s*$|↓|↑`));
  expect(f).toMatch(/^ Memory {5}\S/m);
  expect(f).not.toContain('Exposure');
  await type(app, 'G');
  const end = await frameWith(app, 'Exposure');
  expect(end).toMatch(/↑ \d+ more/);
  expect(end).not.toMatch(/↓ \d+ more/);
  expect(end.split('\n').length).toBeLessThanOrEqual(12);
  await type(app, 'g');
  const back = await frameWith(app, /^ Host/m);
  expect(back).not.toMatch(/↑ \d+ more/);
  app.unmount();
});

it('at 80×24 the Dashboard shows every row, with no scroll line', async () => {
  const app = renderApp(sourcesFor(box.root));
  consoleSize(app, 80, 24);
  const f = await frameWith(app, 'Exposure');
  expect(f).toMatch(/^ Memory {5}\S/m);
  expect(f).not.toContain('j/k scroll');
  app.unmount();
});
