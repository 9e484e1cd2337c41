import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';

/**
 * The direction of imports (ARCHITECTURE.md): front ends reach core only through src/app and
 * src/present, no front end imports another, and core knows neither. `npm run lint` enforces it
 * with biome.json's noRestrictedImports overrides; these tests run that configuration, unchanged,
 * on files that break each rule (and on one that keeps them), in a copy of the tree's layout.
 */
const repo = path.resolve(import.meta.dirname, '../..');
const biome = path.join(repo, 'node_modules/.bin/biome');
let dir: string;

interface Diagnostic {
  category: string;
  message: string;
  location: { path: string };
}

async function lint(files: Record<string, string>): Promise<{ code: number; diagnostics: Diagnostic[] }> {
  await rm(path.join(dir, 'src'), { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  const run = promisify(execFile)(biome, ['lint', '--vcs-enabled=false', '--reporter=json', 'src'], {
    cwd: dir,
  });
  const out = await run.then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  const report = JSON.parse(out.stdout) as { diagnostics: Diagnostic[] };
  return { code: out.code, diagnostics: report.diagnostics };
}

const restricted = (d: Diagnostic[]) =>
  d.filter((x) => x.category === 'lint/style/noRestrictedImports').map((x) => x.location.path);

beforeAll(async () => {
  dir = tempDir('bp-boundaries-');
  await copyFile(path.join(repo, 'biome.json'), path.join(dir, 'biome.json'));
});

describe('import boundaries (biome.json noRestrictedImports)', () => {
  it('fails a front end that imports core, statically or lazily', async () => {
    const r = await lint({
      'src/cli/commands/bad.ts':
        "import { VERSION } from '../../core/version.js';\nexport const v = VERSION;\n",
      'src/tui/bad.ts': "export const load = () => import('../core/pkg/index.js');\n",
      'src/web/bad.ts':
        "import type { Engine } from '../core/services/engine.js';\nexport type E = Engine;\n",
    });
    expect(r.code).not.toBe(0);
    expect(restricted(r.diagnostics).sort()).toEqual([
      'src/cli/commands/bad.ts',
      'src/tui/bad.ts',
      'src/web/bad.ts',
    ]);
    expect(r.diagnostics[0]!.message).toMatch(/only through src\/app/);
  });

  it('fails the TUI or the web importing the CLI, and core or app importing a front end', async () => {
    const r = await lint({
      'src/tui/bad.ts': "import type { Context } from '../cli/context.js';\nexport type C = Context;\n",
      'src/web/bad.ts': "export const load = () => import('../cli/box.js');\n",
      'src/core/setup/bad.ts': "export const load = () => import('../../tui/index.js');\n",
      'src/core/gpu/bad.ts': "import { bytes } from '../../present/units.js';\nexport const b = bytes;\n",
      'src/app/bad.ts': "import { table } from '../present/table.js';\nexport const t = table;\n",
    });
    expect(r.code).not.toBe(0);
    expect(restricted(r.diagnostics).sort()).toEqual([
      'src/app/bad.ts',
      'src/core/gpu/bad.ts',
      'src/core/setup/bad.ts',
      'src/tui/bad.ts',
      'src/web/bad.ts',
    ]);
  });

  it('passes front ends that use src/app and src/present, and core that imports core', async () => {
    const r = await lint({
      'src/cli/good.ts':
        "import { openBox } from '../app/index.js';\nimport { bytes } from '../present/units.js';\nexport const x = [openBox, bytes];\n",
      'src/tui/good.ts': "import type { Box } from '../app/index.js';\nexport type B = Box;\n",
      'src/core/pkg/good.ts': "import { layout } from '../system/paths.js';\nexport const l = layout;\n",
    });
    expect(restricted(r.diagnostics)).toEqual([]);
    expect(r.code).toBe(0);
  });
});
