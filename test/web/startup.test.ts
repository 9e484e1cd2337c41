import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/pkg.js';

/**
 * The dashboard must not slow every other command down: src/web (and what only it needs) is
 * reached through dynamic import() from `blueprint dashboard` alone, never from the chunks the
 * executable loads at start. Checked on the bundle the build made (dist/bundle), by following
 * static imports from the entry.
 */
const bundle = path.join(repoRoot, 'dist/bundle');
const STATIC = /(?:^|[\s;}])import\s*(?:[^'"()]*?\sfrom\s*)?["'](\.\/chunk-[A-Za-z0-9]+\.mjs)["']/g;

function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const m of readFileSync(path.join(bundle, f), 'utf8').matchAll(STATIC)) todo.push(m[1]!.slice(2));
  }
  return seen;
}

// blueprint.cjs: the start part, the executable's main script (scripts/build-options.mjs).
describe.skipIf(!existsSync(path.join(bundle, 'blueprint.cjs')))('the dashboard is loaded lazily', () => {
  it('no chunk the executable loads at start holds the dashboard', () => {
    const start = staticClosure('blueprint.cjs');
    expect(start.has('blueprint.cjs')).toBe(true);
    const web = [...start].filter((f) =>
      readFileSync(path.join(bundle, f), 'utf8').includes('dashboard-login'),
    );
    expect(web).toEqual([]);
    // ... while the bundle does hold it, behind `blueprint dashboard`.
    const all = execFileSync('grep', ['-l', 'dashboard-login', '-r', bundle]).toString();
    expect(all).toMatch(/chunk-/);
  });
});
