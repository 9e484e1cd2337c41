import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

// `module new` ends with the command to run next; with --dir in a folder whose name has a space
// it printed `blueprint module lint my dir/x`, which pasted lints 'my' (QA9's walk). The folder is
// now a shell word, as lint's own Next: line gives it.
const work = tempDir('bp-new-next-');
afterAll(() => rm(work, { recursive: true, force: true }));

describe('module new: its Next: command pastes as it reads', () => {
  it('quotes a folder that needs it, and leaves a plain one bare', async () => {
    mkdirSync(path.join(work, 'my dir'));
    const spaced = await run(['module', 'new', 'next-a', '--dir', 'my dir/next-a'], { cwd: work });
    expect(spaced.code, spaced.stderr).toBe(0);
    expect(spaced.stdout).toContain("then `blueprint module lint 'my dir/next-a'`");
    const lint = await run(['module', 'lint', 'my dir/next-a'], { cwd: work });
    expect(lint.code, lint.stderr).toBe(0);
    const plain = await run(['module', 'new', 'next-b'], { cwd: work });
    expect(plain.stdout).toContain('then `blueprint module lint next-b`');
  });
});
