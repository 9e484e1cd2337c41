import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { scaffoldEdited } from './edited-scaffold.js';

// One mistake anywhere in the manifest (a version "1.0", a bad range in uses) made lint head its
// report 'module (unnamed) in DIR', as if the name were the problem, though the name was valid
// (QA9's walk). The name is shown whenever it is a valid package name; an invalid one still is not.
const work = tempDir('bp-lint-name-');
afterAll(() => rm(work, { recursive: true, force: true }));

const scaffold = (name: string, edit: (m: Record<string, unknown>) => void) =>
  scaffoldEdited(work, name, edit);

describe('module lint: the module named while its manifest has errors', () => {
  it('heads the report with a valid name although another field is wrong', async () => {
    const dir = await scaffold('named-mod', (m) => {
      m.version = '1.0';
    });
    const r = await run(['module', 'lint', dir]);
    expect(r.code).toBe(4);
    expect(r.stdout.split('\n')[0]).toBe(`module named-mod in ${dir}`);
    expect(r.stdout).toMatch(/error: {3}version: must be a semantic version/);
    const j = await run(['--json', 'module', 'lint', dir]);
    expect(JSON.parse(j.stdout)).toMatchObject({ name: 'named-mod', ok: false });
  });

  it('does not show a name that is not a valid package name', async () => {
    const dir = await scaffold('badname-mod', (m) => {
      m.name = 'Bad Name';
    });
    const r = await run(['module', 'lint', dir]);
    expect(r.code).toBe(4);
    expect(r.stdout.split('\n')[0]).toBe(`module (unnamed) in ${dir}`);
  });
});
