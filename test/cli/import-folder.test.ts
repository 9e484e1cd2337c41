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
import { bpkg, GOOD, run, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

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

  it('bpkg install X.bpkg/ with no .asc beside: the folder is said, not a missing signature', async () => {
    const root = tempDir('bp-imp-root-');
    const dir = path.join(tempDir('bp-imp-pkgs-'), 'good_1.0.0_all.bpkg');
    mkdirSync(dir);
    const r = await bpkg(root, ['install', `${dir}/`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${dir}/ is a folder, not a file`);
  });

  // A path (it holds a '/') is never a package name (lower case, digits, dashes): it was looked up
  // in the indexes ('No package ./pkgs/ in the verified indexes', exit 3).
  it('bpkg install DIR/ holding .bpkg files: exit 2, one named as one shell word', async () => {
    const root = tempDir('bp-imp-root-');
    const dir = path.join(tempDir('bp-imp-pkgs-'), 'pkgs');
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a'b$(id)_1.0.0_all.bpkg"), '');
    writeFileSync(path.join(dir, 'good_1.0.0_all.bpkg'), '');
    const r = await bpkg(root, ['install', `${dir}/`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${dir}/ is a folder, not a file`);
    expect(r.stderr).toContain(
      `hint: Pass the .bpkg file itself: bpkg install '${dir}/a'\\''b$(id)_1.0.0_all.bpkg' (it holds 2 .bpkg files)`,
    );
  });

  /** `bpkg install spec` run in a fresh folder holding `files` (in their folders), with a fresh root. */
  async function installHere(spec: string, files: string[]) {
    const cwd = tempDir('bp-imp-cwd-');
    for (const f of files) {
      mkdirSync(path.dirname(path.join(cwd, f)), { recursive: true });
      writeFileSync(path.join(cwd, f), '');
    }
    const r = await run(['--root', tempDir('bp-imp-root-'), 'install', spec], { argv0: 'bpkg', cwd });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${spec} is a folder, not a file`);
    return r.stderr;
  }

  it('bpkg install ./DIR (relative) holding no .bpkg: exit 2, says it holds none', async () => {
    const err = await installHere('./usb', ['usb/notes.txt']);
    expect(err).toContain('hint: Pass the path of a .bpkg file: ./usb holds none.');
  });

  it('bpkg install NAME where NAME is a folder here and no package: exit 2, the .bpkg in it named', async () => {
    const err = await installHere('pkgs', ['pkgs/good_1.0.0_all.bpkg']);
    expect(err).toContain('hint: Pass the .bpkg file itself: bpkg install pkgs/good_1.0.0_all.bpkg');
  });

  it('bpkg install NAME that a repository offers installs it, even beside a folder of that name', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const cwd = tempDir('bp-imp-cwd-');
    mkdirSync(path.join(cwd, 'good'));
    const r = await run(['--root', root, '--yes', 'install', 'good'], { argv0: 'bpkg', cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('good');
    const list = await bpkg(root, ['--json', 'list']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'good', version: '1.0.0' })]);
  });

  // It said 'DIR is not a file' with exit 3 (not found), where model import and bpkg install say 2.
  it('system update DIR: exit 2, the .raucb in it named, or that it holds none', async () => {
    const root = tempDir('bp-imp-root-');
    const stick = path.join(tempDir('bp-imp-'), 'stick');
    mkdirSync(stick);
    writeFileSync(path.join(stick, 'blueprint-1.2.raucb'), '');
    const r = await run(['--root', root, 'system', 'update', stick]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${stick} is a folder, not a file`);
    expect(r.stderr).toContain(
      `hint: Pass the .raucb file itself: blueprint system update ${path.join(stick, 'blueprint-1.2.raucb')}`,
    );
    const empty = tempDir('bp-imp-empty-');
    const e = await run(['--root', root, 'system', 'update', empty]);
    expect(e.code, e.stderr).toBe(2);
    expect(e.stderr).toContain(`hint: Pass the path of a .raucb file: ${empty} holds none.`);
  });
});
