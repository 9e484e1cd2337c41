/**
 * `blueprint model import FILE --name N` run twice (an Ansible task re-run, a script retried) was
 * refused the second time, exit 5 "name taken", although the very model was installed; `key add` and
 * `repo add` answer "unchanged" then. Now the same GGUF (by its SHA-256, against the installed
 * package's signed manifest) under the same name is exit 0, "unchanged" (--json `changed: false`);
 * other content under a taken name (even of the same size and file name) is still refused.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

describe('model import run again', () => {
  it('same content: unchanged, exit 0; other content under the name: refused', async () => {
    const base = tempDir('bp-import-again-');
    const root = path.join(base, 'root');
    const first = await runCliHere(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(first.code, first.err).toBe(0);

    // The same bytes, from another file name (a copy on another stick).
    const copy = path.join(base, 'again.gguf');
    copyFileSync(Q8, copy);
    const again = await runCliHere(['--root', root, '--yes', 'model', 'import', copy, '--name', 'tiny']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/unchanged/);
    expect(again.out).toContain('model-tiny');
    const json = await runCliHere(['--root', root, '--json', 'model', 'import', Q8, '--name', 'tiny']);
    expect(json.code, json.err).toBe(0);
    const doc = JSON.parse(json.out);
    expect(doc).toMatchObject({ package: 'model-tiny', changed: false, changes: [] });
    expect(doc.source.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Same size, same file name, one byte of tensor data different: other content.
    const other = path.join(base, 'other', path.basename(Q8));
    const bytes = Buffer.from(readFileSync(Q8));
    bytes[bytes.length - 1]! ^= 1;
    (await import('node:fs')).mkdirSync(path.dirname(other));
    writeFileSync(other, bytes);
    const refused = await runCliHere(['--root', root, '--yes', 'model', 'import', other, '--name', 'tiny']);
    expect(refused.code, refused.err).toBe(5);
    expect(refused.err).toMatch(/already installed/);
  }, 60_000);
});
