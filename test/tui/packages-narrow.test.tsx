/**
 * CONSOLE3's walk at 40 columns: the Packages list squeezed name, version, state and summary into
 * 38, so names were cut to 8 characters (`embeddi…`, `model-q…`) and the state to `installe…`. Now a
 * narrow screen lists the name and whether it is installed (the version is i/Enter's question); at
 * 120 columns every column as before.
 */
import { expect, it } from 'vitest';
import type { PackageRow } from '../../src/tui/sources.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('pkgnarrow');

const ROWS: PackageRow[] = [
  { name: 'llm', version: '2.4.1', installed: true, summary: 'Local language models', origin: 'main' },
  { name: 'embeddings', version: '1.3.0', installed: true, summary: 'Text embeddings', origin: 'main' },
  { name: 'model-qwen2.5-7b-instr', version: '1.0.0', installed: false, summary: 'Qwen2.5 7B instruct' },
  { name: 'hello', version: '1.0.0', installed: false, summary: 'Example sandboxed service' },
];

for (const [columns, rows] of [
  [40, 12],
  [120, 40],
] as const)
  it(`${columns}×${rows}: every name whole, its state`, async () => {
    const app = renderApp(sourcesFor(box.root, { packages: async () => ({ available: true, value: ROWS }) }));
    consoleSize(app, columns, rows);
    await frameWith(app, 'Host');
    await type(app, '2');
    const f = await frameWith(app, 'Packages (4)');
    expect(f).toMatch(/embeddings +(1\.3\.0 +)?installed/);
    expect(f).toMatch(/model-qwen2\.5-7b-instr +(1\.0\.0 +)?available/);
    if (columns === 120) expect(f).toMatch(/llm +2\.4\.1 +installed \(main\) +Local language models/);
    app.unmount();
  });
