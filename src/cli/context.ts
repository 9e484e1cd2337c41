import { type Layout, layout } from '../app/base.js';
import { escapeJson, escapeText } from '../present/escape.js';
import { jsonLimitReplacer } from '../present/json-limits.js';
import { colourlessTerm } from '../present/terminal.js';
import { stdoutStream, writeOut } from './out.js';

/** What every command gets: where the root is, how to talk to the user, and how to emit results. */
export interface Context {
  root: string;
  paths: Layout;
  json: boolean;
  yes: boolean;
  quiet: boolean;
  color: boolean;
  /** stdin and stdout are terminals: prompts and progress bars are allowed. */
  interactive: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /**
   * Human progress and notes: stderr, silenced by --json/--quiet so stdout stays one JSON document.
   * `info`, `warn` and `result` show control characters as visible text (`\x1b`): what they print
   * often carries untrusted text (summaries, key user IDs, a hostile index's error), so no command
   * can forget to escape it. Newlines and tabs stay.
   */
  info(line: string): void;
  warn(line: string): void;
  /** The command's answer: a JSON document with --json, the human text otherwise. */
  result(data: unknown, human?: string | ((data: unknown) => string)): void;
  /**
   * What a command that changes something did ("installed …", "trusted …"): like `result`, but
   * --quiet silences the human text (`-q`: only errors). The answer of a command that shows
   * something (list, info, search) is its `result` and stays.
   */
  report(data: unknown, human?: string | ((data: unknown) => string)): void;
  /** Aborted on SIGINT/SIGTERM; long operations check it between steps. */
  signal: AbortSignal;
  /**
   * The command answers its signal itself, and its exit code stands: it runs until stopped and
   * ends on the signal by design (`service watch`, `service logs -f`, the dashboard: 0), or it said
   * what it finished despite it (a package change completed whole). Otherwise a signal it took and
   * ran past is the exit code (runCli: 130, 143).
   */
  answerSignal(): void;
}

export interface GlobalOptions {
  root: string;
  json: boolean;
  yes: boolean;
  quiet: boolean;
  noColor: boolean;
}

/**
 * `signal`: the command's abort signal, made when first asked; `answered`: called by answerSignal
 * (src/cli/index.ts keeps both for its one command line).
 */
export function createContext(opts: GlobalOptions, signal: () => AbortSignal, answered: () => void): Context {
  let paths: Layout | undefined;
  // Streams made on first use: the answer goes out through writeOut (out.ts).
  const stderr = () => process.stderr;
  // Asked on first use: process.stdin on a file or /dev/null loads fs streams, readline and more
  // (~4 ms), which `blueprint --json version` and most scripted commands never need.
  let color: boolean | undefined;
  let interactive: boolean | undefined;
  // --json is for a script: no escape codes on either stream, terminal or not.
  const isColor = () =>
    (color ??=
      !opts.json &&
      !opts.noColor &&
      !process.env.NO_COLOR &&
      !colourlessTerm(process.env.TERM) &&
      Boolean(process.stderr.isTTY));
  const say = (line: string) => {
    if (!opts.json && !opts.quiet) stderr().write(`${escapeText(line)}\n`);
  };
  const result = (data: unknown, human?: string | ((data: unknown) => string)) => {
    if (opts.json) {
      writeOut(`${escapeJson(JSON.stringify(data, jsonLimitReplacer, 2))}\n`);
      return;
    }
    const text = escapeText(typeof human === 'function' ? human(data) : (human ?? ''));
    if (text) writeOut(text.endsWith('\n') ? text : `${text}\n`);
  };
  return {
    root: opts.root,
    // Some thirty paths, computed when a command first asks.
    get paths() {
      paths ??= layout(opts.root);
      return paths;
    },
    json: opts.json,
    yes: opts.yes,
    quiet: opts.quiet,
    get color() {
      return isColor();
    },
    get interactive() {
      interactive ??= Boolean(process.stdin.isTTY && process.stdout.isTTY);
      return interactive;
    },
    get stdout() {
      return stdoutStream();
    },
    get stderr() {
      return stderr();
    },
    info: say,
    warn: (line) =>
      stderr().write(`${isColor() ? '\x1b[33mwarning:\x1b[0m' : 'warning:'} ${escapeText(line)}\n`),
    result,
    report: (data, human) => (opts.quiet && !opts.json ? undefined : result(data, human)),
    get signal() {
      return signal();
    },
    answerSignal: answered,
  };
}

const said = new Set<string>();
/** How long a wait may be silent (tests scale it down). */
export const slowNotice = { afterMs: 2000 };

/**
 * `work`, with `text` said on stderr if it is still running after slowNotice.afterMs: a wait on the
 * network or a service's health is not silent (nothing with --json or -q, as every note).
 */
export async function sayIfSlow<T>(ctx: Context, text: string, work: Promise<T>): Promise<T> {
  if (ctx.json || ctx.quiet || said.has(text)) return work;
  const timer = setTimeout(() => {
    said.add(text); // once: the quick update may hand over to the full one
    ctx.info(text);
  }, slowNotice.afterMs);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
  }
}
