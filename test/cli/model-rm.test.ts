/**
 * `blueprint model rm NAME` (Ollama's `ollama rm`) and `model remove NAME` only pointed at
 * `bpkg remove model-NAME` (unknown command, exit 2). They now remove that package, with bpkg
 * remove's rules: asked first on a terminal unless --yes (with none to ask, it goes on, as bpkg
 * remove does). A name that is no installed model was exit 3 (as `ollama rm`); it is now "not
 * installed, nothing to do", exit 0, as bpkg remove, repo remove and key remove of what is absent
 * (idempotent for scripts and Ansible's state: absent). Through the built executable.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, repoRoot, run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');
// Two models of other bytes: the same GGUF twice is refused (test/llm/model-import-same-gguf).
const F32 = path.join(repoRoot, 'test/fixtures/models/tiny-llama/tiny-llama-f32.gguf');
const models = async (root: string) =>
  JSON.parse((await run(['--root', root, '--json', 'model', 'list'])).stdout).map(
    (m: { name: string }) => m.name,
  );

describe('model rm', () => {
  it('removes model-NAME, asking first as bpkg remove does; remove is the same command', async () => {
    const root = path.join(tempDir('bp-model-rm-'), 'root');
    mkdirSync(root);
    for (const [file, n] of [
      [Q8, 'tiny'],
      [F32, 'other'],
    ])
      expect((await run(['--root', root, '--yes', 'model', 'import', file!, '--name', n!])).code).toBe(0);

    // On a terminal it asks first, as bpkg remove does; 'n' removes nothing.
    const asked = spawnSync('script', ['-qec', `${blueprintExe} --root ${root} model rm tiny`, '/dev/null'], {
      input: 'n\n',
      encoding: 'utf8',
    });
    expect(asked.stdout).toContain('Remove model-tiny? [y/N]');
    expect(asked.status).not.toBe(0);
    // Not silent (apt says "Abort."): the admin reads that nothing changed.
    expect(asked.stdout).toContain('remove: declined, nothing was changed');
    expect(await models(root)).toEqual(['other', 'tiny']);

    const rm = await run(['--root', root, 'model', 'rm', 'tiny']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain('removed model-tiny 1.0.0');
    expect(await models(root)).toEqual(['other']);

    const json = await run(['--root', root, '--json', '--yes', 'model', 'remove', 'other']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      changes: [expect.objectContaining({ name: 'model-other' })],
      notInstalled: [],
      changed: true,
    });
    expect(await models(root)).toEqual([]);

    // Not installed: nothing to do, exit 0, as bpkg remove, repo remove and key remove of what is
    // absent (a script run twice, Ansible's state: absent); --json says nothing changed.
    const none = await run(['--root', root, '--yes', 'model', 'rm', 'tiny']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('model tiny is not installed, nothing to do');
    const noneJson = await run(['--root', root, '--json', 'model', 'rm', 'tiny']);
    expect(noneJson.code, noneJson.stderr).toBe(0);
    expect(JSON.parse(noneJson.stdout)).toEqual({ changes: [], notInstalled: ['tiny'], changed: false });
    const two = await run(['--root', root, '--yes', 'model', 'rm', 'tiny', 'other']);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).toContain('model tiny is not installed, nothing to do');
    expect(two.stdout).toContain('model other is not installed, nothing to do');
    // A name no model can have is still a mistake to say (exit 2), as bpkg remove's.
    const bad = await run(['--root', root, '--yes', 'model', 'rm', '../x']);
    expect(bad.code, bad.stderr).toBe(2);
    const help = await run(['model', 'rm', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: blueprint model rm [options] NAME...');
    expect(help.stdout).toContain('model-NAME');
  });

  // `blueprint model rm model-tiny`, the package's name as `model list` shows it in its PACKAGE
  // column and `bpkg install model-NAME` takes it, said 'No model named model-tiny is installed'.
  it('takes the package name model-NAME too', async () => {
    const root = path.join(tempDir('bp-model-rm-'), 'root');
    mkdirSync(root);
    expect((await run(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny'])).code).toBe(0);
    const rm = await run(['--root', root, 'model', 'rm', 'model-tiny']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain('removed model-tiny 1.0.0');
    expect(await models(root)).toEqual([]);
    const none = await run(['--root', root, 'model', 'rm', 'model-tiny']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('model tiny is not installed, nothing to do');
  });

  // Ansible's check mode and a careful admin: what it would remove, nothing changed, as bpkg remove -s.
  it('--dry-run (-s) says what it would remove and changes nothing', async () => {
    const root = path.join(tempDir('bp-model-rm-'), 'root');
    mkdirSync(root);
    expect((await run(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny'])).code).toBe(0);
    const text = await run(['--root', root, 'model', 'rm', '--dry-run', 'tiny', 'gone']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Would remove model-tiny 1.0.0; nothing was changed (--dry-run).');
    expect(text.stdout).toContain('model gone is not installed, nothing to do');
    const json = await run(['--root', root, '--json', 'model', 'rm', '-s', 'tiny', 'gone']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      dryRun: true,
      changes: [expect.objectContaining({ name: 'model-tiny', from: '1.0.0' })],
      notInstalled: ['gone'],
      changed: true,
    });
    expect(await models(root)).toEqual(['tiny']);
  });
});
