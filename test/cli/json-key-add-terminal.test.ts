/**
 * QA26: `bpkg --json key add FILE` typed on a terminal, without --fingerprint or --yes. --json
 * means no prompts (README), and with nobody asked only a fingerprint pin (or --yes) trusts a key:
 * with no terminal it was refused (exit 2), but on one the question was skipped as a prompt and
 * answered yes, so the key was trusted unpinned and unasked, `"changed": true`, exit 0. Now it is
 * refused there too, with the fingerprint to pin in the hint, and nothing is trusted. Through the
 * built executable in a tmux pane (stdin and stdout a terminal, as an admin's shell).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, makeKey, repoRoot, tempDir } from '../helpers/pkg.js';
import { Pane } from '../tui/tmux.js';

const bpkgExe = path.join(repoRoot, 'dist/bpkg');

describe('bpkg --json key add on a terminal', () => {
  it('refuses a key without its fingerprint, as with no terminal: nothing trusted', async () => {
    const dir = tempDir('bp-jsonkey-');
    const root = path.join(dir, 'root');
    mkdirSync(root);
    const key = await makeKey(path.join(dir, 'key'));
    const p = new Pane([bpkgExe, '--root', root, '--json', 'key', 'add', key.publicFile], {
      width: 200,
      height: 30,
    });
    let screen: string;
    try {
      screen = await p.waitFor(/EXIT=\d+/);
    } finally {
      p.kill();
    }
    expect(screen).toContain('"code": "usage"');
    expect(screen).toContain('Refusing to trust a key without its fingerprint');
    expect(screen).not.toContain('"changed": true');
    expect(screen).toContain('EXIT=2');
    const list = await bpkg(root, ['--json', 'key', 'list']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
