/**
 * A folder given where a file is expected: `blueprint model import DIR` (the USB stick's folder,
 * not the .gguf in it), `bpkg install X.bpkg` where X.bpkg is a folder. It exited 4 ('verification refused'), where the exit
 * code table (`--help`, README) says bad usage is 2, and its hint did not say what to pass. Now:
 * exit 2, 'DIR is a folder, not a file', and a hint naming the file to pass (the folder's .gguf,
 * when it holds one). A FIFO or a device keeps its refusal (4, open-judged-first). The real executable.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, run, tempDir } from '../helpers/pkg.js';

describe('a folder where a file is expected', () => {
  it('model import DIR: exit 2, the hint names the .gguf inside it', async () => {
    const root = tempDir('bp-imp-root-');
    const stick = path.join(tempDir('bp-imp-'), 'stick');
    mkdirSync(stick);
    writeFileSync(path.join(stick, 'qwen.gguf'), 'not really');
    writeFileSync(path.join(stick, 'notes.txt'), '');
    const r = await run(['--root', root, 'model', 'import', stick, '--name', 'qwen']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${stick} is a folder, not a file`);
    expect(r.stderr).toContain(
      `hint: Pass the .gguf file itself: blueprint model import ${path.join(stick, 'qwen.gguf')}`,
    );
    const j = await run(['--root', root, '--json', 'model', 'import', stick, '--name', 'qwen']);
    expect(j.code).toBe(2);
    // Its code as before: only the exit code (and the hint) changed.
    expect(JSON.parse(j.stdout)).toEqual({ error: expect.objectContaining({ code: 'not-a-file' }) });
  });

  it('model import of a folder with no .gguf: exit 2, says it holds none', async () => {
    const root = tempDir('bp-imp-root-');
    const empty = tempDir('bp-imp-empty-');
    const r = await run(['--root', root, 'model', 'import', empty, '--name', 'qwen']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^hint: Pass the path of a \.gguf file: .* holds none\./m);
  });

  it('bpkg install DIR.bpkg (a folder named like a package file): exit 2, pass the .bpkg file', async () => {
    const root = tempDir('bp-imp-root-');
    const dir = path.join(tempDir('bp-imp-pkgs-'), 'good_1.0.0_all.bpkg');
    mkdirSync(dir);
    writeFileSync(`${dir}.asc`, 'a signature, read after the package'); // its absence is said first
    const r = await bpkg(root, ['install', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${dir} is a folder, not a file`);
    expect(r.stderr).toMatch(/^hint: Pass the path of a \.bpkg file/m);
  });
});
