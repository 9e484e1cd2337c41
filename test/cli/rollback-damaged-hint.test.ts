/**
 * `bpkg rollback NAME` when the kept previous version's files were changed: the hint said
 * 'Reinstall it: bpkg install NAME@VERSION', outside backticks, so after `--root DIR` it was shown
 * without the --root and, pasted, installed on the live box. Now in backticks, with the --root.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

const first = { name: 'good', version: '1.0.0', files: { 'share/data.txt': 'one\n' } };

describe('rollback onto a damaged kept version', () => {
  it('names the reinstall with the --root typed', async () => {
    const { key, repo } = await signedRepo([first]);
    const root = await trustingRoot(key, repo);
    const pkg = (...a: string[]) => runCliHere(['--root', root, '--yes', 'pkg', ...a]);
    expect((await pkg('install', 'good')).code).toBe(0);
    await publishSources(repo, key, [first, { ...first, version: '2.0.0' }]);
    expect((await pkg('update')).code).toBe(0);
    expect((await pkg('upgrade')).code).toBe(0);
    // Change every file the kept 1.0.0 has.
    const kept = path.join(root, 'opt/blueprint/good/1.0.0');
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => {
        const p = path.join(d, n);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const files = walk(kept);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) writeFileSync(f, 'changed\n');
    const r = await pkg('rollback', 'good');
    expect(r.code).toBe(4);
    expect(r.err).toContain('The kept version 1.0.0 of good is damaged');
    expect(r.err).toContain(`hint: Reinstall it: \`bpkg --root ${root} install good@1.0.0\``);
    // The command named works as written.
    const again = await pkg('install', 'good@1.0.0');
    expect(again.code, again.err).toBe(0);
  });
});
