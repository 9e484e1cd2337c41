/**
 * The words of a command line the program refuses (src/cli/index.ts, command.ts). Loaded only when
 * one is refused: every byte of the start part is compiled at each command's start
 * (test/perf/start-path.test.ts), and a correct command line never needs these.
 */
import { UsageError } from '../app/base.js';
import { type CommandSpec, maxPositionals } from './command.js';

const help = (prog: string, spec: CommandSpec) => `See \`${prog} ${spec.name} --help\`.`;
const quoted = (args: string[]) => args.map((a) => JSON.stringify(a)).join(' ');

/** parseArgs refused the line. Its unknown option adds how to pass a positional starting with '-'
 * (its quote left open): said plainly, for the command as it is typed. */
export function parseError(err: unknown, spec: CommandSpec, prog: string): UsageError {
  const unknown =
    (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? /'(-[^']*)'/.exec((err as Error).message)?.[1]
      : undefined;
  return new UsageError(
    unknown
      ? `Unknown option ${unknown} for ${prog} ${spec.name}`
      : (err as Error).message.replace(/^.*?: /, ''),
    help(prog, spec),
  );
}

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

/** A word where a command goes that names none (`top`: the program's own level). */
export function unknownCommand(word: string, prog: string, top: boolean): UsageError {
  if (!word.startsWith('-'))
    return new UsageError(
      `Unknown command: ${top ? word : `${prog} ${word}`}`,
      `Run \`${prog} --help\` to see the commands.`,
    );
  return top
    ? new UsageError(
        `Unknown option: ${word}`,
        `Run \`${prog} --help\` to see the global options and commands.`,
      )
    : new UsageError(
        `Unknown option: ${word} (before the command of ${prog})`,
        `Run \`${prog} --help\` to see the commands.`,
      );
}

/** --json and no command: stdout holds one JSON document, so the missing command is the error. */
export const noCommand = (prog: string) =>
  new UsageError(`Name a command: ${prog} COMMAND`, `Run \`${prog} --help\` to see the commands.`);

/** A --root that is a file: every command would fail on a path below it. */
export const rootNotDirectory = (root: string) =>
  new UsageError(
    `--root ${root} is not a directory`,
    'Give the folder that holds the box (as dpkg --root), or leave --root out for this box.',
  );
