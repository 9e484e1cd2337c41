/**
 * What a first-time user meets on a line the program refuses, with the real executable:
 * - `blueprint rag ask --k -1 hi` (or `service logs --tail -5`): Node's three lines 'Option '--k'
 *   argument is ambiguous. Did you forget…? To specify an option argument starting with a dash use
 *   '--k=-XYZ'.' now one line saying the option needs a value and how to give one starting with '-'.
 * - `blueprint apply -f` (no FILE): 'Option '-f, --file <value>' argument missing', Node's words,
 *   now '-f/--file needs a value'.
 * - `blueprint rag ask ""` (an empty question) went to the rag module; it is bad usage (exit 2),
 *   with an example, before the box is read.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('an option value that starts with a dash', () => {
  it.each([
    [['rag', 'ask', '--k', '-1', 'hi'], '--k', 'rag ask'],
    [['service', 'logs', '--tail', '-5', 'hello'], '--tail', 'service logs'],
  ])('%s: one line naming the option, exit 2', async (argv, opt, cmd) => {
    const root = tempDir('bp-optval-');
    const r = await run(['--root', root, ...argv]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: ${opt} needs a value: ${opt} VALUE, or ${opt}=-VALUE for one that starts with a dash`,
    );
    expect(r.stderr).toContain(`hint: See \`blueprint ${cmd} --help\`.`);
    expect(r.stderr).not.toContain('ambiguous');
    const json = await run(['--root', root, '--json', ...argv]);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'usage' });
  });
});

describe('an option given without its value', () => {
  it.each([
    [['apply', '-f'], '-f/--file', 'apply'],
    [['setup', '--answers'], '--answers', 'setup'],
  ])('%s: names the option in plain words, exit 2', async (argv, opt, cmd) => {
    const root = tempDir('bp-optval-');
    const r = await run(['--root', root, ...argv]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`error: ${opt} needs a value`);
    expect(r.stderr).toContain(`hint: See \`blueprint ${cmd} --help\`.`);
  });
});

describe('rag ask with an empty question', () => {
  it.each([[''], ['   ']])('%j: bad usage (exit 2) with an example', async (q) => {
    const root = tempDir('bp-optval-');
    const r = await run(['--root', root, 'rag', 'ask', q]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: The question is empty');
    // The example carries the typed --root, as a hint's commands do (example-hint-root).
    expect(r.stderr).toContain(`hint: Example: \`blueprint --root ${root} rag ask "`);
  });
});
