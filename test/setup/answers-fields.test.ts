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

  // An unknown field said only 'Unrecognized key: "hostnmae"'; the two files also name the same
  // things differently (setup's admin and repository, apply's users and repositories), and a file
  // written for one, given to the other, said only 'Unrecognized keys: "admin", "repository"' (seen
  // here, with the setup --help example's fields in an apply file). Now the near name is said, and
  // what this file takes instead of the other's field; nested fields too.
  it("apply: setup's admin and repository, and a mistyped field, say what this file takes", async () => {
    const root = tempDir('bp-fields-');
    const file = path.join(tempDir('bp-fields-f-'), 'box.yaml');
    writeFileSync(
      file,
      'hostname: box-01\nadmin: { name: ops, keys: [] }\nrepository: { name: main, url: /r }\nssh: { enabeld: true }\nmodules: [{ name: llm, stat: running }]\n',
    );
    const r = await run(['--root', root, 'apply', '-f', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      '(top level): Unrecognized keys: "admin", "repository" ("admin": this file takes users, a list of { name, admin: true, keys }; "repository": this file takes repositories, a list of { name, url, key, fingerprint })',
    );
    expect(r.stderr).toContain('ssh: Unrecognized key: "enabeld" (did you mean enabled?)');
    expect(r.stderr).toContain('modules.0: Unrecognized key: "stat" (did you mean state?)');
    expect(readdirSync(root)).toEqual([]);
  });

  it("setup: apply's users and repositories, and a mistyped field, say what this file takes", async () => {
    const root = tempDir('bp-fields-');
    const file = path.join(tempDir('bp-fields-f-'), 'box.yaml');
    writeFileSync(file, 'hostnmae: box-01\nusers: []\nrepositories: []\n');
    const r = await run(['--root', root, 'setup', '--answers', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      '(top level): Unrecognized keys: "hostnmae", "users", "repositories" ("hostnmae": did you mean hostname?; "users": this file takes admin, one { name, keys }; "repositories": this file takes repository, one { name, url, key, fingerprint })',
    );
  });
});
