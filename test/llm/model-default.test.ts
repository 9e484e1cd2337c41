/**
 * `blueprint model default [NAME]`: which installed model the llm serves when a request names none.
 * The README had the admin write ROOT/var/lib/blueprint/modules/llm/default-model by hand, in the
 * module's data folder, which the module's own user owns and writes: a link it left at that name
 * would lead root's `echo NAME > …` to any file of the host (the reason `service token` writes the
 * token itself). The command writes it as the token is written, checks the name is installed, and
 * says what applies it.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { F32, Q8 } from './helpers.js';

const work = tempDir('bp-model-default-');
const root = path.join(work, 'root');
const cli = (...args: string[]) => run(['--root', root, ...args]);
const file = path.join(root, 'var/lib/blueprint/modules/llm/default-model');

describe('blueprint model default', () => {
  it('sets, shows and clears the default model, refusing one not installed', async () => {
    for (const [f, name] of [
      [F32, 'tiny'],
      [Q8, 'tiny-q8'],
    ] as const) {
      const r = await cli('model', 'import', f, '--name', name);
      expect(r.code, r.stderr).toBe(0);
    }
    const none = await cli('model', 'default');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/No default model set: llm serves the first by name, tiny/);

    const set = await cli('model', 'default', 'tiny-q8');
    expect(set.code, set.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('tiny-q8\n');
    expect(set.stdout).toMatch(/default model: tiny-q8; it applies at llm's next start/);
    expect((await cli('model', 'default')).stdout).toMatch(/^tiny-q8\n/);
    expect(JSON.parse((await cli('--json', 'model', 'default')).stdout)).toMatchObject({
      default: 'tiny-q8',
      installed: true,
    });

    const absent = await cli('model', 'default', 'llama3');
    expect(absent.code).toBe(3);
    expect(absent.stderr).toMatch(/No model named llama3 is installed/);
    expect(readFileSync(file, 'utf8')).toBe('tiny-q8\n');

    // Its package removed: the default is passed over by llm, and model default says so.
    const rm = await cli('--yes', 'model', 'rm', 'tiny-q8');
    expect(rm.code, rm.stderr).toBe(0);
    const gone = await cli('model', 'default');
    expect(gone.stdout).toMatch(/^tiny-q8: not installed; llm serves the first by name, tiny/);
    expect(JSON.parse((await cli('--json', 'model', 'default')).stdout)).toMatchObject({
      default: 'tiny-q8',
      installed: false,
      fallback: 'tiny',
    });

    const cleared = await cli('model', 'default', '--clear');
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('never writes through a link the module left at the file name', async () => {
    const victim = path.join(work, 'victim');
    writeFileSync(victim, 'precious\n');
    mkdirSync(path.dirname(file), { recursive: true });
    symlinkSync(victim, file);
    const r = await cli('model', 'default', 'tiny');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('tiny\n');
  });
});
