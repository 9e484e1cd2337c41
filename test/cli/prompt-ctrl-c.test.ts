/**
 * Ctrl-C and Ctrl-D at a [y/N] question (src/cli/prompt.ts), on a terminal, TERM=dumb (a serial
 * console, a plain ssh client) and a usual TERM: readline takes the keys (the terminal is raw), so
 * Ctrl-C reached no SIGINT handler, and the question's promise was rejected with Node's AbortError:
 * the screen read 'Remove model-tiny? [y/N] error: Aborted with Ctrl+C' on the question's line, then
 * 'hint: This is a bug in blueprint; please report it …', exit 1 (the same for Ctrl+D). Now Ctrl-C
 * says on a line of its own that it was interrupted and nothing changed, exit 130 as for any
 * Ctrl-C; Ctrl-D is no answer, the default no: 'declined, nothing was changed', exit 1. The
 * terminal's settings are as before. Through the built executable in a tmux pane.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, repoRoot, run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';
import { Pane } from '../tui/tmux.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

describe.each(['dumb', 'xterm-256color'])('at a question with TERM=%s', (term) => {
  it.each([
    ['C-c', /^error: Interrupted by Ctrl-C at the question\nhint: Nothing was changed/m, 130],
    ['C-d', /^remove: declined, nothing was changed$/m, 1],
  ] as const)('%s says what happened on a line of its own, changes nothing', async (key, said, code) => {
    const dir = tempDir('bp-prompt-c-');
    const root = path.join(dir, 'root');
    mkdirSync(root);
    expect((await run(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny'])).code).toBe(0);
    // The terminal's settings before and after: readline's raw mode is undone.
    const tty = (f: string) => `stty -g > ${path.join(dir, f)}`;
    const p = new Pane(
      [
        'sh',
        '-c',
        `${tty('before')}; "$0" --root "$1" model rm tiny; rc=$?; ${tty('after')}; exit $rc`,
        blueprintExe,
        root,
      ],
      { width: 120, height: 12, env: { TERM: term } },
    );
    try {
      await p.waitFor('Remove model-tiny? [y/N]');
      p.keys(key);
      const screen = await p.waitFor(/EXIT=\d+/);
      const lines = screen.split('\n').map((l) => l.trimEnd());
      expect(lines, screen).toContain('Remove model-tiny? [y/N]');
      expect(screen).toMatch(said);
      expect(screen).not.toContain('This is a bug');
      expect(screen).toContain(`EXIT=${code}`);
    } finally {
      p.kill();
    }
    expect(await readFile(path.join(dir, 'after'), 'utf8')).toBe(
      await readFile(path.join(dir, 'before'), 'utf8'),
    );
    const list = await run(['--root', root, '--json', 'model', 'list']);
    expect(JSON.parse(list.stdout).map((m: { name: string }) => m.name)).toEqual(['tiny']);
  });
});
