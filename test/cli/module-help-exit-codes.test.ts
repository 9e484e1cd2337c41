import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

// `module lint --help` listed exit codes 0 and 4 only, `module new --help` none; a script (the
// scaffold's CI, an author's Makefile) could not tell a typo in the path from a module with errors
// (QA9's walk). Each code the help now names is the one the command gives in that case.
const work = tempDir('bp-mod-codes-');
afterAll(() => rm(work, { recursive: true, force: true }));

const help = async (cmd: string) => (await run(['module', cmd, '--help'])).stdout.replace(/\s+/g, ' ');

describe('module new / lint --help: the exit codes they give', () => {
  it('module lint', async () => {
    const text = await help('lint');
    const file = path.join(work, 'manifest.json');
    writeFileSync(file, '{}');
    const cases: [string[], number, string][] = [
      [[path.join(work, 'nope')], 3, '3 no such folder'],
      [[file], 2, '2 not a folder'],
      [[work], 4, '4 errors found'],
    ];
    for (const [args, code, words] of cases) {
      expect((await run(['module', 'lint', ...args])).code, args.join(' ')).toBe(code);
      expect(text).toContain(words);
    }
  });

  it('module new', async () => {
    const text = await help('new');
    mkdirSync(path.join(work, 'taken'));
    writeFileSync(path.join(work, 'taken', 'x'), '');
    const cases: [string[], number, string][] = [
      [['Bad_Name', '--dir', path.join(work, 'b')], 2, '2 not a valid module name'],
      [
        ['ok-name', '--dir', path.join(work, 'no/such/parent')],
        3,
        '3 the folder to make it in does not exist',
      ],
      [['ok-name', '--dir', path.join(work, 'taken')], 5, '5 the folder exists and is not empty'],
      [['ok-name', '--dir', '/proc/qa9-not-here'], 7, '7 it cannot be written there'],
      [['ok-name', '--dir', path.join(work, 'made')], 0, '0 made'],
    ];
    for (const [args, code, words] of cases) {
      expect((await run(['module', 'new', ...args])).code, args.join(' ')).toBe(code);
      expect(text).toContain(words);
    }
  });
});
