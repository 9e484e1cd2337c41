/**
 * What a first-time user meets when a command line is wrong: the help names the command once, an
 * argument a command does not take is refused (not silently ignored: `bpkg upgrade hello` used to
 * upgrade everything, `bpkg verify a b` checked only a), `--json` answers a missing command with a
 * JSON error, and a file named on the line that cannot be read says so, with the right exit code
 * and nothing written under the root.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CommandGroup, type CommandSpec, isGroup } from '../../src/cli/command.js';
import { topLevel } from '../../src/cli/commands/index.js';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

async function specs(): Promise<{ line: string[]; spec: CommandSpec }[]> {
  const all: { line: string[]; spec: CommandSpec }[] = [];
  // A group's commands, a group in it too (`pkg key add`).
  const walk = (t: CommandGroup | CommandSpec, line: string[]) => {
    if (isGroup(t)) for (const c of t.commands) walk(c, [...line, c.name]);
    else all.push({ line, spec: t });
  };
  for (const e of topLevel) walk(await e.load(), [e.name]);
  return all;
}

describe('help', () => {
  it("names a top-level command once in its usage line, and every command's usage starts with its own line", async () => {
    for (const { line } of await specs()) {
      const r = await runCliHere([...line, '--help']);
      expect(r.code, line.join(' ')).toBe(0);
      const usage = r.out.split('\n')[0]!;
      expect(usage, line.join(' ')).toMatch(new RegExp(`^Usage: blueprint ${line.join(' ')}( |$)`));
      expect(usage, line.join(' ')).not.toContain(`blueprint ${[...line, line.at(-1)].join(' ')}`);
    }
  });

  it('an unknown option points at the help of the command as it is typed', async () => {
    const r = await runCliHere(['gpu', '--bogus']);
    expect(r.code).toBe(2);
    // Node's own words were longer, for a case no one meant, and their quote was left open.
    expect(r.err).toContain('error: Unknown option --bogus for blueprint gpu\n');
    expect(r.err).toContain('hint: See `blueprint gpu --help`.');
    const short = await runCliHere(['pkg', 'install', '-z', 'x']);
    expect(short.err).toContain('error: Unknown option -z for blueprint pkg install\n');
  });
});

describe('arguments a command does not take', () => {
  const root = tempDir();
  const cases: [string[], RegExp][] = [
    [['pkg', 'upgrade', 'hello'], /blueprint pkg upgrade takes no arguments/],
    [['pkg', 'update', 'main'], /blueprint pkg update takes no arguments/],
    [['pkg', 'list', 'hello'], /blueprint pkg list takes no arguments/],
    [['pkg', 'verify', 'a', 'b'], /blueprint pkg verify takes at most 1 argument \(\[NAME\]\), not 2/],
    [['pkg', 'info', 'a', 'b'], /takes at most 1 argument/],
    [['service', 'logs', 'a', 'b'], /blueprint service logs takes at most 1 argument \(NAME\), not 2/],
    [['service', 'list', 'x'], /blueprint service list takes no arguments/],
    [['rag', 'remove', 'id1', 'id2'], /blueprint rag remove takes at most 1 argument/],
    [['version', 'extra'], /blueprint version takes no arguments/],
    [['status', 'extra'], /blueprint status takes no arguments/],
  ];
  for (const [argv, message] of cases)
    it(`${argv.join(' ')}: refused with exit 2, nothing written`, async () => {
      const r = await runCliHere(['--root', root, ...argv]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toContain(
        `hint: See \`blueprint ${argv.slice(0, argv[0] === 'version' || argv[0] === 'status' ? 1 : 2).join(' ')} --help\`.`,
      );
      expect(readdirSync(root)).toEqual([]);
    });

  it('with --json, the refusal is the JSON error', async () => {
    const r = await runCliHere(['--root', root, '--json', 'pkg', 'upgrade', 'hello']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.code).toBe('usage');
  });

  it('commands that take several still do: a question in words, sources, packages', async () => {
    // Refused for what they are (no rag module, no such package), not for their count.
    const ask = await runCliHere(['--root', root, 'rag', 'ask', 'what', 'is', 'this']);
    expect(ask.err).not.toMatch(/takes at most/);
    const install = await runCliHere(['--root', root, 'pkg', 'install', 'a', 'b']);
    expect(install.err).not.toMatch(/takes at most/);
  });
});

describe('--json with no command', () => {
  it('a group without its sub-command answers a JSON error (exit 2), not the help text', async () => {
    const r = await runCliHere(['--json', 'pkg']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out);
    expect(doc.error.code).toBe('usage');
    expect(doc.error.hint).toContain('blueprint pkg --help');
  });

  it('no command at all answers a JSON error too', async () => {
    const r = await runCliHere(['--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.code).toBe('usage');
  });

  it('--help still prints the help, as one JSON document (test/cli/json-help)', async () => {
    const r = await runCliHere(['--json', 'pkg', '--help']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).help).toMatch(/^Usage: blueprint pkg COMMAND/);
  });
});

describe('a key file that cannot be read', () => {
  it('missing: not found (exit 3), named, nothing trusted', async () => {
    const root = tempDir();
    const r = await runCliHere(['--root', root, 'pkg', 'key', 'add', '/nonexistent/key.asc']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('error: Cannot read /nonexistent/key.asc: no such file');
    expect(r.err).not.toContain('bug in blueprint');
    const keys = await runCliHere(['--root', root, '--json', 'pkg', 'key', 'list']);
    expect(JSON.parse(keys.out)).toEqual([]);
  });

  it('a folder: bad usage (exit 2), not an internal error', async () => {
    const root = tempDir();
    const r = await runCliHere(['--root', root, '--json', 'pkg', 'key', 'add', root]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out);
    expect(doc.error.code).toBe('usage');
    expect(doc.error.message).toContain(`Cannot read ${root}: a folder`);
  });
});

describe('every usage error says what to do next', () => {
  // Each of these was an `error:` line alone (the README: errors print a `hint:` too).
  // The words of the command whose help the hint names: two, or three in a group's group (pkg repo add).
  const cases: [string[], number?][] = [
    [['service', 'stop', 'hello', '--timeout', 'abc']],
    [['service', 'logs', 'hello', '--tail', 'abc']],
    [['rag', 'ask', 'why?', '--k', 'abc']],
    [['repo', 'keygen']],
    [['repo', 'build', 'src']],
    [['pkg', 'repo', 'add'], 3],
    [['pkg', 'key', 'remove'], 3],
    [['pkg', 'bundle', 'hello']],
    [['audit', 'network', '--ssh-port', 'x']],
  ];
  for (const [argv, words = 2] of cases)
    it(`${argv.join(' ')}: exit 2 with a hint naming the command's help, in plain and --json`, async () => {
      const root = tempDir();
      const help = `\`blueprint ${argv.slice(0, words).join(' ')} --help\``;
      const plain = await runCliHere(['--root', root, ...argv]);
      expect(plain.code).toBe(2);
      expect(plain.err).toMatch(/^error: /);
      expect(plain.err).toContain(`hint: See ${help}.`);
      const json = await runCliHere(['--root', root, '--json', ...argv]);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.out).error).toMatchObject({ code: 'usage', hint: `See ${help}.` });
      expect(readdirSync(root)).toEqual([]);
    });

  it('pkg key frobnicate: an unknown sub-command of the group in the group, its help named', async () => {
    const root = tempDir();
    const r = await runCliHere(['--root', root, '--json', 'pkg', 'key', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error).toMatchObject({
      code: 'usage',
      message: 'Unknown command: blueprint pkg key frobnicate',
      hint: 'Run `blueprint pkg key --help` to see the commands.',
    });
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('--root that names no box', () => {
  it('a file: bad usage (exit 2) naming it, for any command', async () => {
    const file = path.join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    for (const argv of [['pkg', 'list'], ['status'], ['pkg', 'install', 'x']]) {
      const r = await runCliHere(['--root', file, '--json', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(JSON.parse(r.out).error).toMatchObject({
        code: 'usage',
        message: `--root ${file} is not a directory`,
      });
    }
  });

  it('status of a root that does not exist: not found (exit 3), not an internal error, nothing made', async () => {
    const missing = path.join(tempDir(), 'no-such-box');
    const r = await runCliHere(['--root', missing, 'status']);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`error: --root ${missing} does not exist`);
    expect(r.err).toContain('hint: ');
    expect(existsSync(missing)).toBe(false);
  });
});

describe('setup --answers with answer flags', () => {
  it('is refused (exit 2) naming the flags, where the flags were silently ignored', async () => {
    const root = tempDir();
    const answers = path.join(tempDir(), 'answers.yaml');
    writeFileSync(answers, 'hostname: box-01\n');
    const r = await runCliHere([
      '--root',
      root,
      'setup',
      '--answers',
      answers,
      '--hostname',
      'other',
      '--ssh',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: --answers and --hostname, --ssh do not go together');
    expect(r.err).toMatch(/hint: .*answers file/);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('bpkg key add of an empty file', () => {
  it('says the key is empty, not what OpenPGP.js asks of its caller', async () => {
    const root = tempDir();
    const empty = path.join(tempDir(), 'empty.asc');
    writeFileSync(empty, '');
    const r = await runCliHere(['--root', root, '--json', 'pkg', 'key', 'add', empty]);
    expect(r.code).toBe(4);
    const e = JSON.parse(r.out).error;
    expect(e.message).toBe('Not an OpenPGP public key: it is empty');
    expect(e.hint).toContain('gpg --export --armor');
  });
});

describe('service list --help', () => {
  it("describes list, which takes no NAME (it showed status's exit codes with NAME)", async () => {
    const r = await runCliHere(['service', 'list', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/NAME/);
    expect(r.out).toMatch(/SECURITY/);
  });
});

describe('an option where a command goes', () => {
  it('is called an unknown option, not an unknown command', async () => {
    const top = await runCliHere(['--bogus', 'pkg', 'list']);
    expect(top.code).toBe(2);
    expect(top.err).toContain('error: Unknown option: --bogus');
    expect(top.err).toContain('hint: Run `blueprint --help` to see the global options and commands.');
    const group = await runCliHere(['pkg', '--bogus']);
    expect(group.code).toBe(2);
    expect(group.err).toContain('error: Unknown option: --bogus (before the command of blueprint pkg)');
    expect(group.err).toContain('hint: Run `blueprint pkg --help` to see the commands.');
  });

  it('--root= with nothing after it says what to give', async () => {
    const r = await runCliHere(['--root=', 'pkg', 'list']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('hint: Example: mkdir -p /tmp/box && blueprint --root /tmp/box pkg list');
  });
});

describe('module new', () => {
  it('its help and its next step name the files it writes (there is no server.c)', async () => {
    const help = await runCliHere(['module', 'new', '--help']);
    expect(help.out).not.toContain('server.c');
    expect(help.out).toContain('server/main.ts');
    const dir = path.join(tempDir(), 'my-svc');
    const r = await runCliHere(['module', 'new', 'my-svc', '--dir', dir]);
    expect(r.code).toBe(0);
    const next = r.out.split('\n').find((l) => l.startsWith('Next: '))!;
    for (const f of next.match(/edit (.*?), then/)![1]!.split(' and '))
      expect(existsSync(path.join(dir, f)), f).toBe(true);
  });
});

describe('apply with -f and a file besides', () => {
  it('is refused (exit 2), where the second file was silently ignored', async () => {
    const root = tempDir();
    const r = await runCliHere(['--root', root, 'apply', '-f', 'a.yaml', 'b.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: Give one description: -f a.yaml or b.yaml, not both');
    expect(readdirSync(root)).toEqual([]);
  });
});
