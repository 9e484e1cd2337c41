/**
 * The hint of an invalid answers file, description or setup flags said "Fix the field named above
 * in F." (or "the flag named above"): in --json, and in Ansible's failure, the hint is the message's
 * sibling and nothing is above it. The hint now names the fields (or flags) itself. And every
 * --json error of apply says what it changed (`changed: []` when it refused before writing), as
 * docs/fleet.md says, so an Ansible `changed_when` reads one shape.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

const fileWith = (text: string) => {
  const file = path.join(tempDir('bp-hint-field-f-'), 'box.yaml');
  writeFileSync(file, text);
  return file;
};

type ErrorDoc = { error: { hint: string; changed?: unknown[] } };

describe('an invalid field: the hint names it', () => {
  it('apply -f: the fields, by name, in the JSON error; changed is []', async () => {
    const root = tempDir('bp-hint-field-');
    const file = fileWith('hostname: bad_host\nssh: { enabeld: true }\n');
    const r = await run(['--root', root, '--json', 'apply', '-f', file]);
    expect(r.code, r.stderr).toBe(2);
    const { error } = JSON.parse(r.stdout) as ErrorDoc;
    expect(error.hint).toMatch(/^Fix (hostname and ssh\.enabeld|ssh\.enabeld and hostname) in box\.yaml; /);
    expect(error.hint).not.toMatch(/above/);
    expect(error.changed).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
  });

  it('setup --answers: each field', async () => {
    const root = tempDir('bp-hint-field-');
    const file = fileWith('hostname: bad_host\nadmin: { name: ops, keys: [] }\n');
    const r = await run(['--root', root, '--json', 'setup', '--answers', file, '--dry-run']);
    expect(r.code, r.stderr).toBe(2);
    const { error } = JSON.parse(r.stdout) as ErrorDoc;
    expect(error.hint).toMatch(/^Fix hostname, admin\.keys and admin\.passwordHash in box\.yaml; /);
    expect(error.hint).not.toMatch(/above/);
  });

  it('setup flags: the flags, by name', async () => {
    const root = tempDir('bp-hint-field-');
    const r = await run(['--root', root, 'setup', '--hostname', 'bad_host', '--dry-run']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /hint: Fix --hostname, --key and --password-hash; `blueprint setup --help` lists the flags\./,
    );
    expect(r.stderr).not.toMatch(/above/);
  });

  it('apply: a file that is not there, or no file given: changed is [] too', async () => {
    const root = tempDir('bp-hint-field-');
    const missing = await run(['--root', root, '--json', 'apply', '-f', path.join(root, 'none.yaml')]);
    expect(missing.code).toBe(3);
    expect((JSON.parse(missing.stdout) as ErrorDoc).error.changed).toEqual([]);
    const none = await run(['--root', root, '--json', 'apply']);
    expect(none.code).toBe(2);
    expect((JSON.parse(none.stdout) as ErrorDoc).error.changed).toEqual([]);
  });
});
