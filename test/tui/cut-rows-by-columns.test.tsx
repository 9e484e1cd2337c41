/**
 * CONSOLE7 (CONSOLE6's leftovers): a row cut with '…' is cut by terminal columns, with a column kept
 * for the '…'. The Setup catalog's totals line was sliced by UTF-16 units (an emoji name left a lone
 * surrogate before the '…'); the first case failed on HEAD. A list's cut note had its '…' appended to
 * a full row, one column too wide: Ink's truncate then put its own '…' in the last column, which kept
 * the same characters (checked with ASCII, CJK and emoji rows), so the second case is a guard that
 * passed on HEAD too: the row is now cut here, within the width, and shows the same.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../src/app/index.js';
import { SetupCatalog } from '../../src/tui/screens/SetupCatalog.js';
import type { ServiceRow } from '../../src/tui/sources.js';
import { textWidth } from '../../src/tui/text-width.js';
import { tokenRoot } from '../helpers/client-token-box.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const server = (name: string): CatalogEntry => ({
  name,
  version: '1.0.0',
  summary: 'serves models',
  packageBytes: 1,
  installedBytes: 1,
  imageBytes: 0,
  memoryBytes: 0,
  gpu: 'none',
  outbound: [],
  requires: [],
  serves: ['model-*'],
});

describe('rows cut with … fit by columns', () => {
  it("the Setup catalog's cut totals end within the width, no character split", async () => {
    // Eight modules with emoji names, each serving models none of which is chosen: eight totals
    // lines (each a row of 19 emoji first) where a 38x7 checklist has room for few; the last kept one is cut.
    const entries = Array.from({ length: 8 }, (_, i) => server(`${'😀'.repeat(30)}${i}`));
    const width = 38;
    const app = render(
      <SetupCatalog
        entries={entries}
        initial={entries.map((e) => e.name)}
        box={{ memoryBytes: 2 ** 34, freeDiskBytes: 2 ** 40 }}
        prompt="Modules to install"
        width={width}
        height={7}
        isEcho={() => false}
        onSubmit={() => {}}
        onBack={() => {}}
      />,
    );
    const frame = await frameWith(app, '…');
    const lines = frame.split('\n');
    const cut = lines.find((l) => l.endsWith('…') && l.includes('😀'));
    expect(cut, frame).toBeDefined();
    for (const l of lines) {
      expect(l, frame).not.toMatch(LONE_SURROGATE);
      expect(textWidth(l), l).toBeLessThanOrEqual(width);
    }
    // Every emoji the width holds is kept: the row is full but for the '…' (and an odd column).
    expect(textWidth(cut!)).toBeGreaterThanOrEqual(width - 1);
    app.unmount();
  });

  it("a list's cut note keeps every column but the '…''s, at the exact width", async () => {
    // One word of 800 letters and digits, no run repeated: wrapped by characters into rows of the screen's width (78 at 80x24);
    // the sixth (NOTE_ROWS) is the last shown and ends in '…'.
    const text = Array.from({ length: 400 }, (_, i) => i.toString(36).padStart(2, '0')).join('');
    const row: ServiceRow = {
      name: 'svc',
      state: 'running',
      sandboxed: true,
      detail: '1.0.0',
      runningLimits: text,
    };
    const app = renderApp(
      sourcesFor(tokenRoot('bp-console7-cut-'), {
        services: async () => ({ available: true, value: [row] }),
      }),
    );
    consoleSize(app, 80, 24);
    await type(app, '3');
    const frame = await frameWith(app, 'Services (1)');
    const width = 78;
    // Rows 1-5 whole, the sixth its first 77 letters and the '…': the last kept letter is there.
    expect(frame).toContain(text.slice(4 * width, 5 * width));
    expect(frame).toContain(`${text.slice(5 * width, 6 * width - 1)}…`);
    app.unmount();
  });
});
