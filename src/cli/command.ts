import { UsageError } from '../app/base.js';
import type { Context } from './context.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help after the flag, e.g. FILE. */
  value?: string;
}

export interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /**
   * Positional arguments as shown in usage, e.g. `NAME[@VERSION]...`. It also bounds how many the
   * command takes (maxPositionals): none without it, any number with `...` or `|` (the command
   * judges those itself), else one per word.
   */
  args?: string;
  options?: Record<string, OptionSpec>;
  /**
   * The command judges an empty positional argument itself (search's word: every package; install's
   * name and ask's question: refused with their own example). Others refuse it in parsing.
   */
  judgesEmptyArgs?: true;
  /** Extra help text: examples, exit codes. */
  details?: string;
  run(ctx: Context, parsed: Parsed): Promise<number | undefined | void>;
}

export interface CommandGroup {
  name: string;
  summary: string;
  /** Its commands, a group among them a level deeper (`bpkg key add`: pkg's key group). */
  commands: (CommandSpec | CommandGroup)[];
  /** The command the group's name alone runs (`bpkg key`: `bpkg key list`); else its help, exit 2. */
  bare?: string;
}

export function isGroup(c: CommandSpec | CommandGroup): c is CommandGroup {
  return 'commands' in c;
}

export async function parseCommandArgs(spec: CommandSpec, argv: string[], prog: string): Promise<Parsed> {
  // Nothing to parse: what parseArgs answers for no arguments, without loading it (`version`).
  if (argv.length === 0) return { values: Object.create(null), positionals: [] };
  let parsed: Parsed;
  try {
    // process.getBuiltinModule, not `import … from 'node:util'`: an ES import of node:util reads
    // every export, which loads streams, workers and more (~3 ms on every start).
    const { parseArgs } = process.getBuiltinModule('node:util');
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(spec.options ?? {}).map(([k, o]) => [
          k,
          { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    parsed = { values, positionals };
  } catch (err) {
    throw (await import('./usage-text.js')).parseError(err, spec, prog);
  }
  // A script's variable never set arrives as '': taken as a name or a path, `rag remove ""` asked
  // the module for 'no document ', `model import ""` read the current folder.
  if (!spec.judgesEmptyArgs && parsed.positionals.some((a) => !a.trim()))
    throw new UsageError(
      'An empty argument (a shell variable not set?)',
      `Give ${spec.args ?? 'the arguments'}: see \`${prog} ${spec.name} --help\`.`,
    );
  // An argument the command would ignore is refused: `bpkg upgrade hello` upgraded everything,
  // `bpkg verify a b` checked a alone, `service stop a b` stopped a alone.
  if (parsed.positionals.length > maxPositionals(spec))
    throw (await import('./usage-text.js')).tooMany(spec, prog, parsed.positionals);
  return parsed;
}

/** How many positional arguments `spec` takes, read from its usage (`args`). */
export function maxPositionals(spec: CommandSpec): number {
  const args = spec.args?.trim();
  if (!args) return 0;
  if (args.includes('...') || args.includes('|')) return Number.POSITIVE_INFINITY;
  return args.split(/\s+/).length;
}

export function requirePositionals(parsed: Parsed, min: number, what: string, prog: string): string[] {
  if (parsed.positionals.length < min) throw new UsageError(`Missing ${what}`, `See \`${prog} --help\`.`);
  return parsed.positionals;
}

export function optString(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function optBool(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

export function optStrings(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}
