/**
 * `model import FILE --name N` run again is "unchanged" (exit 0, nothing done) when FILE is the GGUF
 * already installed as model-N (PKGIDEM's 9ac1759b). It was judged by FILE's SHA-256 against the
 * hash the package's signed manifest records, never against the bytes installed: with the installed
 * GGUF changed on the disk (a bad sector, a tool writing into it) the import said "installed already
 * with this GGUF: unchanged" while the model on the disk was other bytes than the file given, so the
 * admin's repair (import the good file again) was told there was nothing to do. Now the installed
 * GGUF is hashed too; one that is no longer what its manifest records is no "unchanged".
 */
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

/** Every file named `name` under `dir`. */
function find(dir: string, name: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p, name) : e.name === name ? [p] : [];
  });
}

describe('model import again while the installed GGUF is not what its manifest says', () => {
  it('is not "unchanged"', async () => {
    const base = tempDir('bp-import-stored-differs-');
    const root = path.join(base, 'root');
    const given = path.join(base, 'given.gguf');
    copyFileSync(Q8, given);
    const first = await runCliHere(['--root', root, '--yes', 'model', 'import', given, '--name', 'tiny']);
    expect(first.code, first.err).toBe(0);

    const installed = find(path.join(root, 'opt'), 'tiny.gguf');
    expect(installed).toHaveLength(1);
    const bytes = Buffer.from(readFileSync(installed[0]!));
    bytes[bytes.length - 1]! ^= 1; // same size, one byte of tensor data other
    writeFileSync(installed[0]!, bytes);
    expect(statSync(installed[0]!).size).toBe(statSync(given).size);

    const again = await runCliHere(['--root', root, '--json', 'model', 'import', given, '--name', 'tiny']);
    expect(again.out).not.toMatch(/"changed":\s*false/);
    expect(`${again.out}${again.err}`).not.toMatch(/unchanged/);
    expect(again.code).not.toBe(0);
  }, 60_000);
});
