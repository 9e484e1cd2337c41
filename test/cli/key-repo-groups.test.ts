/**
 * `bpkg key` and `bpkg repo` are groups of their own: `key add`, `key list`, `key remove`, `repo
 * add`, `repo set-key`, `repo list`, `repo remove` are each a command with its own arguments,
 * options and help. They were one command each taking `add FILE | list | remove FPR` as words, so
 * the parser let any number through (each judged its extra words itself), `key add --help` showed
 * every action's options, `key list --fingerprint X` was taken silently, and `key frob` answered a
 * usage line with no "did you mean". The real executable, as bpkg and as blueprint pkg.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const bp = (...args: string[]) => run(args, { argv0: 'bpkg' });

async function twoKeys() {
  const root = tempDir('bp-groups-');
  const [a, b] = await Promise.all([makeKey(path.join(tempDir(), 'a')), makeKey(path.join(tempDir(), 'b'))]);
  for (const k of [a, b])
    expect((await bp('--root', root, 'key', 'add', k.publicFile, '--fingerprint', k.fingerprint)).code).toBe(
      0,
    );
  const keys = async () => JSON.parse((await bp('--root', root, '--json', 'key', 'list')).stdout).length;
  return { root, a, b, keys };
}

describe('bpkg key and bpkg repo as groups', () => {
  it('key remove A B: refused by the parser (exit 2) naming the extra word, both keys still trusted', async () => {
    const { root, a, b, keys } = await twoKeys();
    expect(await keys()).toBe(2);
    const r = await bp('--root', root, 'key', 'remove', a.fingerprint, b.fingerprint);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: bpkg key remove takes at most 1 argument (FINGERPRINT), not 2: "${a.fingerprint}" "${b.fingerprint}"`,
    );
    expect(r.stderr).toContain('hint: See `bpkg key remove --help`.');
    expect(await keys()).toBe(2);
    // The same for repo's: one NAME, one URL pair, no words after list.
    for (const [args, usage] of [
      [['repo', 'remove', 'one', 'two'], 'bpkg repo remove takes at most 1 argument (NAME), not 2'],
      [['repo', 'add', 'n', '/x', 'extra'], 'bpkg repo add takes at most 2 arguments (NAME URL), not 3'],
      [['key', 'list', 'extra'], 'bpkg key list takes no arguments, not "extra"'],
      [['repo', 'list', 'extra'], 'bpkg repo list takes no arguments, not "extra"'],
    ] as const) {
      const x = await bp('--root', root, ...args);
      expect({ args, code: x.code }).toEqual({ args, code: 2 });
      expect(x.stderr).toContain(`error: ${usage}`);
    }
  });

  it("key add --help shows add's usage and its option only", async () => {
    const r = await bp('key', 'add', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: bpkg key add \[options\] FILE\n/);
    expect(r.stdout).toContain('--fingerprint FPR');
    // Its options: --fingerprint and help alone (repo add's are not there, nor the other actions' usage).
    const options = r.stdout.split('\n').filter((l) => /^ {2}(-\w, )?--/.test(l));
    expect(options.map((l) => l.trim().split(/\s+/)[0])).toEqual(['--fingerprint', '-h,']);
    expect(r.stdout).not.toMatch(/key list|key remove|FINGERPRINT/);
    // repo add's own options are on repo add, not on repo remove.
    const add = await bp('repo', 'add', '--help');
    expect(add.stdout).toMatch(/^Usage: bpkg repo add \[options\] NAME URL\n/);
    for (const o of ['--key FPR', '--mirror URL', '--repository NAME']) expect(add.stdout).toContain(o);
    const remove = await bp('repo', 'remove', '--help');
    expect(remove.stdout).toMatch(/^Usage: bpkg repo remove \[options\] NAME\n/);
    expect(remove.stdout).not.toContain('--key');
  });

  it('an option on the wrong sub-command is refused (exit 2) for that sub-command', async () => {
    const root = tempDir('bp-groups-');
    const r = await bp('--root', root, 'key', 'list', '--fingerprint', 'ABCD');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: Unknown option --fingerprint for bpkg key list');
    const x = await bp('--root', root, 'repo', 'remove', 'main', '--mirror', '/m');
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('error: Unknown option --mirror for bpkg repo remove');
  });

  it('key frob: an unknown sub-command, with the commands or the one meant', async () => {
    const r = await bp('key', 'frob');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: Unknown command: bpkg key frob\n');
    expect(r.stderr).toContain('hint: Run `bpkg key --help` to see the commands.');
    const near = await bp('key', 'lst');
    expect(near.code).toBe(2);
    expect(near.stderr).toContain('hint: Did you mean `bpkg key list`?');
    const alias = await bp('repo', 'rm', 'main');
    expect(alias.stderr).toContain('error: Unknown command: bpkg repo rm\n');
    expect(alias.stderr).toContain('hint: Did you mean `bpkg repo remove main`?');
    // From the level above too: the group's word and then its sub-command's.
    const both = await bp('kye', 'lst');
    expect(both.stderr).toContain('hint: Did you mean `bpkg key list`?');
    const helped = await run(['help', 'pkg', 'key', 'remov']);
    expect(helped.code).toBe(2);
    expect(helped.stderr).toContain('hint: Did you mean `blueprint help pkg key remove`?');
    const json = await bp('--json', 'repo', 'frob');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'usage',
      message: 'Unknown command: bpkg repo frob',
    });
  });

  it('help at the nested level: bpkg help repo set-key, blueprint help pkg key remove, key --help', async () => {
    const setKey = await bp('help', 'repo', 'set-key');
    expect(setKey.code).toBe(0);
    expect(setKey.stdout).toMatch(/^Usage: bpkg repo set-key \[options\] NAME FPR\.\.\.\n/);
    const remove = await run(['help', 'pkg', 'key', 'remove']);
    expect(remove.code).toBe(0);
    expect(remove.stdout).toMatch(/^Usage: blueprint pkg key remove \[options\] FINGERPRINT\n/);
    const inGroup = await bp('key', 'help', 'add');
    expect(inGroup.stdout).toMatch(/^Usage: bpkg key add /);
    for (const args of [
      ['key', '--help'],
      ['help', 'key'],
    ]) {
      const g = await bp(...args);
      expect(g.code).toBe(0);
      expect(g.stdout).toMatch(/^Usage: bpkg key COMMAND \[options\]\n/);
      for (const sub of ['add', 'list', 'remove']) expect(g.stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
      expect(g.stdout).toContain('`bpkg key` alone: `bpkg key list`.');
    }
    const repo = await bp('repo', '--help');
    for (const sub of ['add', 'set-key', 'list', 'remove'])
      expect(repo.stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
    // bpkg's own help lists key and repo among its commands, as before.
    const top = await bp('--help');
    expect(top.stdout).toMatch(/^ {2}key +Manage trusted publisher keys/m);
    expect(top.stdout).toMatch(/^ {2}repo +Manage repositories/m);
  });

  it('bpkg key and bpkg repo alone list, as they did (text and --json)', async () => {
    const { root, a } = await twoKeys();
    const keys = await bp('--root', root, '--json', 'key');
    expect(keys.code).toBe(0);
    expect(JSON.parse(keys.stdout).map((k: { fingerprint: string }) => k.fingerprint)).toContain(
      a.fingerprint,
    );
    const text = await bp('--root', root, 'key');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('repositories: none');
    const repos = await bp('--root', root, '--json', 'repo');
    expect(repos.code).toBe(0);
    expect(JSON.parse(repos.stdout)).toEqual([]);
    expect((await bp('--root', root, 'repo')).stdout).toContain('No repositories.');
  });

  it('a missing argument is bad usage (exit 2) pointing at the sub-command: repo add NAME, key add, set-key NAME', async () => {
    const root = tempDir('bp-groups-');
    for (const [args, hint] of [
      [['repo', 'add', 'main'], 'See `bpkg repo add --help`.'],
      [['key', 'add'], 'See `bpkg key add --help`.'],
      [['key', 'remove'], 'See `bpkg key remove --help`.'],
      [['repo', 'set-key', 'main'], `Example: \`bpkg --root ${root} repo set-key main FPR\``],
    ] as const) {
      const r = await bp('--root', root, ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(`hint: ${hint}`);
    }
  });
});
