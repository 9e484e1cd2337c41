import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { makeKey, tempDir } from '../helpers/pkg.js';

/**
 * V8's JSON.parse (Node 24) quotes the text it failed on: the whole of a short one, ten characters
 * either side of the fault in a longer one, control characters and line breaks as they are.
 * `module lint` and `repo build` put that message into theirs. The CLI escapes an error's control
 * characters but keeps its newlines (a message may have lines), so a manifest.json holding
 * `[ESC[2J LF hint: …` cleared nothing but printed a line of its own under ours: a forged `hint:`.
 * The quote is now one line, its break shown as \x0a; no raw ESC reaches the terminal.
 */
const BAD = '[\u001b[2J\nhint: forged';

function source(): string {
  const dir = path.join(tempDir('bp-json-lines-'), 'm');
  mkdirSync(path.join(dir, 'payload'), { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), BAD);
  return dir;
}

function judge(r: { out: string; err: string }): void {
  const shown = r.out + r.err;
  expect(shown, 'the parser’s quote is shown').toContain('not valid JSON');
  expect(shown).not.toContain('\u001b');
  expect(shown.split('\n').filter((l) => /^\s*hint: forged/.test(l))).toEqual([]);
  expect(shown).toContain('\\x0ahint: forged');
}

describe('a JSON parse error quoting the file', () => {
  it('module lint: one line, no raw ESC', async () => {
    const r = await runCliHere(['module', 'lint', source()]);
    expect(r.code).not.toBe(0);
    judge(r);
  });

  it('repo build: one line, no raw ESC', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const r = await runCliHere([
      'repo',
      'build',
      source(),
      '--repo',
      path.join(tempDir(), 'r'),
      '--key',
      key.privateFile,
    ]);
    expect(r.code).not.toBe(0);
    judge(r);
  });

  it('repo build over a repository whose index.json is not JSON: one line, no raw ESC', async () => {
    // The previous index is read to keep its packages; a shared repository folder is anyone's.
    const key = await makeKey(path.join(tempDir(), 'key'));
    const repo = tempDir('bp-json-repo-');
    writeFileSync(path.join(repo, 'index.json'), BAD);
    const src = source();
    writeFileSync(
      path.join(src, 'manifest.json'),
      JSON.stringify({ name: 'ok', version: '1.0.0', arch: 'all', summary: 'ok' }),
    );
    const r = await runCliHere(['repo', 'build', src, '--repo', repo, '--key', key.privateFile]);
    expect(r.code).not.toBe(0);
    expect(r.out + r.err).toContain('not valid JSON');
    judge(r);
  });
});
