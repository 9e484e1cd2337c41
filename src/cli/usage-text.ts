/**
 * The words of a command line the program refuses (src/cli/index.ts, command.ts). Loaded only when
 * one is refused: every byte of the start part is compiled at each command's start
 * (test/perf/start-path.test.ts), and a correct command line never needs these.
 */
import { BlueprintError, ExitCode, UsageError } from '../app/base.js';
import { nearNames } from '../present/near-names.js';
import { shellWord } from '../present/root-in-hints.js';
import { type CommandGroup, type CommandSpec, isGroup, maxPositionals } from './command.js';
import { topLevel } from './commands/index.js';

const help = (prog: string, spec: CommandSpec) => `See \`${prog} ${spec.name} --help\`.`;
const quoted = (args: string[]) => args.map((a) => JSON.stringify(a)).join(' ');

/** parseArgs refused the line. Its unknown option adds how to pass a positional starting with '-'
 * (its quote left open): said plainly, for the command as it is typed. */
export function parseError(err: unknown, spec: CommandSpec, prog: string): UsageError {
  const unknown =
    (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? /'(-[^']*)'/.exec((err as Error).message)?.[1]
      : undefined;
  // `--k -1`: Node's three lines ('argument is ambiguous. Did you forget…') said in one.
  const dashed = /Option '(-[^']*)' argument is ambiguous/.exec((err as Error).message)?.[1];
  // `apply -f`: 'Option '-f, --file <value>' argument missing'.
  const bare = /Option '(-[^' ]*?),? ?(--[^' ]*)? <value>' argument missing/.exec((err as Error).message);
  // `--jsn`, `--max-token`: the option meant, when one alone of the command's or the global ones is near.
  const near = unknown?.startsWith('--')
    ? nearNames(unknown.slice(2), [...Object.keys(spec.options ?? {}), ...GLOBAL_OPTIONS])
    : [];
  // A global on/off option reaches here only with a value (`--json=true`): the bare one was taken.
  if (unknown && GLOBAL_SWITCHES.includes(unknown.slice(2)))
    return switchWithValue(unknown, help(prog, spec));
  return new UsageError(
    unknown
      ? `Unknown option ${unknown} for ${prog} ${spec.name}`
      : dashed
        ? `${dashed} needs a value: ${dashed} VALUE, or ${dashed}=-VALUE for one that starts with a dash`
        : bare
          ? `${bare[2] ? `${bare[1]}/${bare[2]}` : bare[1]} needs a value`
          : (err as Error).message.replace(/^.*?: /, ''),
    `${near.length === 1 ? `Did you mean --${near[0]}? ` : ''}${help(prog, spec)}`,
  );
}

/** The options every command takes (src/cli/index.ts's global options). */
const GLOBAL_OPTIONS = ['root', 'json', 'yes', 'quiet', 'no-color', 'help', 'version'];
/** Those of them that are on/off: they take no value. */
const GLOBAL_SWITCHES = GLOBAL_OPTIONS.filter((o) => o !== 'root');

/** `--json=true`: an on/off option given a value; said so, not 'unknown'. */
const switchWithValue = (option: string, hint: string) =>
  new UsageError(`${option} takes no value: give ${option} alone (it is on when given)`, hint);

/** More arguments than the command takes: it would have ignored them. */
export function tooMany(spec: CommandSpec, prog: string, args: string[]): UsageError {
  const max = maxPositionals(spec);
  return new UsageError(
    max === 0
      ? `${prog} ${spec.name} takes no arguments, not ${quoted(args)}`
      : `${prog} ${spec.name} takes at most ${max} argument${max === 1 ? '' : 's'} (${spec.args}), not ${args.length}: ${quoted(args)}`,
    help(prog, spec),
  );
}

/** Words of apt, Docker and Ollama for the command of ours that does it. */
const ALIASES: Record<string, string> = {
  show: 'info',
  purge: 'remove',
  rm: 'remove',
  uninstall: 'remove',
  delete: 'remove',
  ls: 'list',
  ps: 'list',
  stats: 'status',
};

/**
 * The command line meant by `word` (an alias, or one close enough and alone), with `rest` as typed:
 * among `group`'s commands (named `prog`), or the program's own (`group` undefined).
 */
async function meant(
  word: string,
  prog: string,
  group: CommandGroup | undefined,
  rest: string[],
): Promise<string | undefined> {
  const names = (group?.commands ?? topLevel).map((e) => e.name);
  const line = (cmd: string) => [prog, cmd, ...rest].join(' ');
  const alias = ALIASES[word];
  if (alias && names.includes(alias)) return line(alias);
  const near = nearNames(word, names);
  if (near.length !== 1) return group ? undefined : inOneGroup(word, prog, rest);
  // "servce ls", "bpkg kye lst": the group's own word is judged too, once the group is known.
  const [sub, ...more] = rest;
  const entry = !sub
    ? undefined
    : group
      ? group.commands.find((c) => c.name === near[0])
      : await topLevel.find((e) => e.name === near[0])?.load();
  if (entry && isGroup(entry) && !entry.commands.some((c) => c.name === sub))
    return (await meant(sub!, `${prog} ${near[0]}`, entry, more)) ?? line(near[0]!);
  return line(near[0]!);
}

/**
 * A group's command typed without its group (install, logs: as apt and Docker take them) is
 * the one group's that has it, when exactly one group has a command of that name (`list` and
 * `update` are in several: no guess).
 */
async function inOneGroup(word: string, prog: string, rest: string[]): Promise<string | undefined> {
  const groups: string[] = [];
  for (const e of topLevel) {
    const entry = await e.load();
    if (isGroup(entry) && entry.commands.some((c) => c.name === word)) groups.push(e.name);
  }
  return groups.length === 1 ? [prog, groups[0], word, ...rest].join(' ') : undefined;
}

/**
 * A word where a command goes that names none: among `group`'s commands (named `prog`: `bpkg`,
 * `bpkg key`, `blueprint pkg key`), or the program's own (`group` undefined); `rest`: what followed it.
 */
export async function unknownCommand(
  word: string,
  prog: string,
  group: CommandGroup | undefined,
  rest: string[] = [],
  help = false,
): Promise<UsageError> {
  const top = !group;
  if (!word.startsWith('-')) {
    const near = await meant(word, prog, group, rest).catch(() => undefined);
    // "blueprint help pkg instal": the help meant, `blueprint help pkg install`.
    const cmd = help ? near?.replace(/^(\S+) /, '$1 help ') : near;
    return new UsageError(
      `Unknown command: ${top ? word : `${prog} ${word}`}`,
      cmd ? `Did you mean \`${cmd}\`?` : `Run \`${prog} --help\` to see the commands.`,
    );
  }
  // `--json=1` before the command: an on/off option given a value.
  const named = word.startsWith('--') ? word.slice(2).split('=')[0]! : '';
  if (word.includes('=') && GLOBAL_SWITCHES.includes(named))
    return switchWithValue(`--${named}`, `Run \`${prog} --help\` to see the global options.`);
  // `--rooot DIR`, `--jsno`: the global option meant, as parseError names a command's.
  const near = word.startsWith('--') ? nearNames(word.slice(2).split('=')[0]!, GLOBAL_OPTIONS) : [];
  const meantOption = near.length === 1 ? `Did you mean --${near[0]}? ` : '';
  return top
    ? new UsageError(
        `Unknown option: ${word}`,
        `${meantOption}Run \`${prog} --help\` to see the global options and commands.`,
      )
    : new UsageError(
        `Unknown option: ${word} (before the command of ${prog})`,
        `${meantOption}Run \`${prog} --help\` to see the commands.`,
      );
}

/** --json and no command: stdout holds one JSON document, so the missing command is the error. */
export const noCommand = (prog: string) =>
  new UsageError(`Name a command: ${prog} COMMAND`, `Run \`${prog} --help\` to see the commands.`);

/**
 * How the root is named to the admin: as it was given, typed (`--root DIR`) or by the environment
 * (`BLUEPRINT_ROOT=DIR`): a script setting the variable has no --root on its command line to look at.
 */
export const rootWords = (root: string, typed: boolean) =>
  typed ? `--root ${root}` : `BLUEPRINT_ROOT=${root}`;

/** A --root that is a file: every command would fail on a path below it. */
export const rootNotDirectory = (root: string, typed = true) =>
  new UsageError(
    `${rootWords(root, typed)} is not a directory`,
    typed
      ? 'Give the folder that holds the box (as dpkg --root), or leave --root out for this box.'
      : 'Set it to the folder that holds the box (as dpkg --root), or `unset BLUEPRINT_ROOT` for this box.',
  );

/** Commands that make a box (or its first trust, or a model signed by its own key): a --root not there yet is made. */
const MAKES_ROOT = ['setup', 'apply', 'pkg key add', 'pkg repo add', 'model import'];
/** Commands that never read or write the box: --root does not matter to them. */
const NO_ROOT = ['module', 'repo', 'version'];

/**
 * A --root that is not a folder (`st`: its stat, undefined when nothing is there). A file is bad
 * usage; a missing one (a typo, an image not mounted) is not found, and nothing is made under it,
 * unless the command makes a box: that one goes on (true), and newRootNote says, once it is over,
 * whether the box was made. `words`: the command line after the global options, `pkg` first for bpkg.
 */
export function checkRoot(
  root: string,
  st: { isDirectory(): boolean } | undefined,
  words: string[],
  typed = true,
): true | undefined {
  if (st) throw rootNotDirectory(root, typed);
  const line = words.slice(0, 3).join(' ');
  if (NO_ROOT.includes(words[0] ?? '')) return;
  if (!MAKES_ROOT.some((c) => line === c || line.startsWith(`${c} `))) {
    throw new BlueprintError(
      `${rootWords(root, typed)} does not exist`,
      'not-found',
      `Check ${typed ? '--root' : 'BLUEPRINT_ROOT'} for a typo: it names the folder that holds the box (an image mounted there, say). For a new, empty box there, \`mkdir -p ${shellWord(root)}\` first.`,
      // `service status NAME` answers as LSB's status action: 3 is 'not running', 4 'unknown'.
      line.startsWith('service status') ? 4 : ExitCode.notFound,
    );
  }
  return true;
}

/**
 * Said once the command is over, and only when it made the folder: one that failed, or a dry run,
 * makes nothing, and a note before it ran said a box was made where none was.
 */
export const newRootNote = (root: string, typed = true) =>
  `note: ${rootWords(root, typed)} did not exist: a new box was made there\n`;
