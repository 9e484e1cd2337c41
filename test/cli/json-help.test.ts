/**
 * `--json --help` printed the plain help text, so a script piping it to jq failed. Under --json the
 * help is one JSON document on stdout, {"help": TEXT}, the same text as without --json; exit 0.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';

const cases: [string, string[], string][] = [
  ['the program', ['--json', '--help'], 'Usage: blueprint [global options] COMMAND'],
  ['a command', ['apply', '--json', '--help'], 'Usage: blueprint apply [options]'],
  ['a group', ['--json', 'pkg', '-h'], 'Usage: blueprint pkg COMMAND'],
  ['help WORDS', ['--json', 'help', 'pkg', 'install'], 'Usage: blueprint pkg install [options]'],
];

describe('--json --help', () => {
  it.each(cases)('%s: one JSON document {"help": the text}', async (_, args, usage) => {
    const json = await run(args);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { help: string };
    expect(Object.keys(doc)).toEqual(['help']);
    expect(doc.help).toContain(usage);
    const text = await run(args.filter((a) => a !== '--json'));
    expect(doc.help).toBe(text.stdout);
  });

  it('bpkg: the same', async () => {
    const json = await run(['--json', 'install', '--help'], { argv0: 'bpkg' });
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { help: string }).help).toContain('install [options]');
  });
});
