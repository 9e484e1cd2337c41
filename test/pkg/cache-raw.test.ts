/**
 * A first update keeps the verified index cache (index-cache.ts) as the verified bytes themselves
 * when index-fast.ts found the index to be exactly what JSON.parse makes of them (every key in the
 * schema's order), instead of stringifying 10,000 entries again: the cache must read back as the
 * very index zod would give, and any other index is still stringified from what was validated.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { signFile } from '../../src/core/pkg/build.js';
import { parseIndex } from '../../src/core/pkg/format.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { fastIndex } from '../../src/core/pkg/index-fast.js';
import { type TestKey, tempDir, trustingRoot, twoPackageRepo } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await twoPackageRepo());
});

/** The cache's payload (after its seal line) and what it parses to. */
function cacheOf(root: string): { text: string; parsed: { signer: string; sha256: string; index: unknown } } {
  const bytes = readFileSync(path.join(root, 'var/lib/blueprint/pkg/lists/main/verified.json'));
  const text = bytes.subarray(65).toString('utf8');
  return { text, parsed: JSON.parse(text) };
}

describe('verified index cache written as the verified bytes', () => {
  it('holds the served bytes when they are the index as parsed, and reads back as zod gives it', async () => {
    const served = readFileSync(path.join(repo, 'index.json'));
    const asParsed = { value: false };
    expect(fastIndex(JSON.parse(served.toString('utf8')), asParsed)).toBeDefined();
    expect(asParsed.value).toBe(true);
    const root = await trustingRoot(key, repo);
    const { text, parsed } = cacheOf(root);
    expect(text).toContain(served.toString('utf8'));
    expect(parsed.index).toEqual(parseIndex(served));
    expect(JSON.stringify(parsed.index)).toBe(JSON.stringify(parseIndex(served)));
    expect((await new PackageManager({ root }).info('good')).available[0]?.summary).toBe(
      'the genuine summary',
    );
  });

  it('stringifies what was validated when the keys come in another order or depends is left out', async () => {
    const dir = path.join(tempDir(), 'repo');
    const { cpSync } = await import('node:fs');
    cpSync(repo, dir, { recursive: true });
    const file = path.join(dir, 'index.json');
    const index = JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, unknown>[] };
    // One entry's keys reversed, another without `depends` (zod defaults it to []).
    const [first, second] = index.packages;
    index.packages[0] = Object.fromEntries(Object.entries(first!).reverse());
    const { depends: _, ...rest } = second!;
    index.packages[1] = rest;
    writeFileSync(file, JSON.stringify(index, null, 1));
    await signFile(file, { keyFile: key.privateFile });
    const asParsed = { value: true };
    expect(fastIndex(JSON.parse(readFileSync(file, 'utf8')), asParsed)).toBeDefined();
    expect(asParsed.value).toBe(false);
    const root = await trustingRoot(key, dir);
    const { text, parsed } = cacheOf(root);
    expect(text).not.toContain(readFileSync(file, 'utf8'));
    expect(parsed.index).toEqual(parseIndex(readFileSync(file)));
    expect(JSON.stringify(parsed.index)).toBe(JSON.stringify(parseIndex(readFileSync(file))));
  });
});
