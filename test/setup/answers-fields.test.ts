/**
 * `setup --answers F` / `apply -f F` with wrong fields, as a first-time user writes them (the real
 * executable): a file holding a plain string, or a list, said '(top level): Invalid input: expected
 * object, received string', and every hint was 'Fix the field named above in F.' without saying
 * where the right form is shown. Now the top level says it must hold settings (KEY: VALUE lines or
 * a JSON object), and the hint names the command's --help, which shows an example file. Exit 2 and
 * nothing written, as before.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const cases = [
  ['setup', '--answers'],
  ['apply', '-f'],
] as const;

describe('setup --answers / apply -f with wrong fields', () => {
  it.each(cases)('%s: a file that holds a string, not settings', async (cmd, flag) => {
    const root = tempDir('bp-fields-');
    const file = path.join(tempDir('bp-fields-f-'), 'box.yaml');
    writeFileSync(file, 'hostname box-01\n');
    const r = await run(['--root', root, cmd, flag, file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'error: Invalid box.yaml: (top level): must hold settings (KEY: VALUE lines, or a JSON object), not a string',
    );
    expect(r.stderr).toContain(`\`blueprint ${cmd} --help\` shows an example`);
    expect(readdirSync(root)).toEqual([]);
    const json = await run(['--root', root, '--json', cmd, flag, file]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.hint).toContain(`blueprint ${cmd} --help`);
  });

  it.each(cases)('%s: an unknown field: named, and the hint points at the example', async (cmd, flag) => {
    const root = tempDir('bp-fields-');
    const file = path.join(tempDir('bp-fields-f-'), 'box.yaml');
    writeFileSync(file, 'hostname: box-01\nhostnmae: box-02\n');
    const r = await run(['--root', root, cmd, flag, file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('Unrecognized key: "hostnmae"');
    expect(r.stderr).toContain(`\`blueprint ${cmd} --help\` shows an example`);
    expect(readdirSync(root)).toEqual([]);
  });
});
