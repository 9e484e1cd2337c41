/**
 * A module's name is one pattern, the kit's MODULE_NAME (modules/kit/server/clients.ts): the kit's
 * purge records, rag's own name and vectors' consumer owners use it, rather than a copy each that
 * could drift from the names blueprint gives (a consumer named by one and refused by another).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../modules');
const WRITTEN = '[a-z0-9][a-z0-9-]{0,62}';

function serverSources(): string[] {
  const out: string[] = [];
  for (const mod of readdirSync(ROOT, { withFileTypes: true })) {
    if (!mod.isDirectory()) continue;
    const dir = join(ROOT, mod.name, 'server');
    let files: string[];
    try {
      files = readdirSync(dir, { recursive: true }) as string[];
    } catch {
      continue;
    }
    for (const f of files) if (f.endsWith('.ts')) out.push(join(mod.name, 'server', f));
  }
  return out;
}

describe('the module-name pattern', () => {
  it('is written once, in the kit (clients.ts MODULE_NAME), and used by the modules', () => {
    const writing = serverSources().filter((f) => readFileSync(join(ROOT, f), 'utf8').includes(WRITTEN));
    expect(writing).toEqual(['kit/server/clients.ts']);
  });
});
