/**
 * `bpkg key list` showed each trusted key's fingerprint and user IDs but not what it may sign: a
 * key signs only the repositories bound to it (`repo add --key`, `repo set-key`), and that was only
 * to be pieced together from `repo list`. Each key now lists its repositories ("none" when no
 * repository is bound to it, with how to bind one); --json gives them as `repositories`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { keyAddArgs } from '../helpers/key-add.js';
import { makeKey } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('pkg key list', () => {
  it('shows the repositories each key is scoped to (text and --json)', async () => {
    const base = tempDir('bp-key-list-');
    const root = path.join(base, 'root');
    mkdirSync(root);
    const [a, b] = await Promise.all([
      makeKey(path.join(base, 'a'), { name: 'Publisher A' }),
      makeKey(path.join(base, 'b'), { name: 'Publisher B' }),
    ]);
    for (const k of [a, b]) {
      const r = await runCliHere(keyAddArgs(root, k));
      expect(r.code, r.err).toBe(0);
    }
    for (const name of ['main', 'extra']) {
      const dir = path.join(base, `repo-${name}`);
      mkdirSync(dir);
      const r = await runCliHere(['--root', root, 'pkg', 'repo', 'add', name, dir, '--key', a.fingerprint]);
      expect(r.code, r.err).toBe(0);
    }

    const r = await runCliHere(['--root', root, 'pkg', 'key', 'list']);
    expect(r.code, r.err).toBe(0);
    const blockOf = (fpr: string) => {
      const lines = r.out.split('\n');
      const at = lines.findIndex((l) => l.toLowerCase().startsWith(fpr.toLowerCase()));
      expect(at, r.out).toBeGreaterThanOrEqual(0);
      const end = lines.findIndex((l, i) => i > at && !l.startsWith(' '));
      return lines.slice(at, end < 0 ? undefined : end).join('\n');
    };
    expect(blockOf(a.fingerprint)).toMatch(/repositories: extra, main\b/);
    expect(blockOf(b.fingerprint)).toMatch(/repositories: none/);
    expect(r.out).toMatch(/repo set-key/);

    const json = await runCliHere(['--root', root, '--json', 'pkg', 'key', 'list']);
    expect(json.code, json.err).toBe(0);
    const keys = JSON.parse(json.out) as Array<{ fingerprint: string; repositories: string[] }>;
    const of = (fpr: string) => keys.find((k) => k.fingerprint.toLowerCase() === fpr.toLowerCase());
    expect(of(a.fingerprint)?.repositories).toEqual(['extra', 'main']);
    expect(of(b.fingerprint)?.repositories).toEqual([]);
  });
});
