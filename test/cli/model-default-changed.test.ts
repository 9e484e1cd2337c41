/**
 * `blueprint model default NAME` and `--clear` answered --json {default, file} whether or not they
 * changed anything, so an Ansible task (`changed_when`) could not tell a run that set the default
 * from one that found it set: every run reported changed, and a handler restarting llm ran each
 * time. Now --json has `changed` (false when the default was that already, or when --clear found
 * none set), and the text says "(unchanged)". Through the built executable.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

describe('model default, run twice', () => {
  it('says changed the first time and not the second; --clear the same', async () => {
    const root = path.join(tempDir('bp-model-default-'), 'root');
    mkdirSync(root);
    expect((await run(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny'])).code).toBe(0);
    const json = async (...args: string[]) => {
      const r = await run(['--root', root, '--json', 'model', 'default', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    expect(await json('tiny')).toMatchObject({ default: 'tiny', changed: true });
    expect(await json('tiny')).toMatchObject({ default: 'tiny', changed: false });
    expect(await json('model-tiny')).toMatchObject({ default: 'tiny', changed: false });
    const text = await run(['--root', root, 'model', 'default', 'tiny']);
    expect(text.stdout).toContain('default model: tiny (unchanged)');
    expect(await json('--clear')).toMatchObject({ changed: true });
    expect(await json('--clear')).toMatchObject({ changed: false });
    const cleared = await run(['--root', root, 'model', 'default', '--clear']);
    expect(cleared.stdout).toContain('no default model was set (unchanged)');
  });
});
