import path from 'node:path';
import {
  BlueprintError,
  DeclinedError,
  ExitCode,
  endNow,
  hostArch,
  InterruptedError,
  isPermissionDenied,
  treeShared,
  UsageError,
  VERSION,
} from '../app/base.js';
import { errorBlock, escapeJson, escapeLine } from '../present/escape.js';
import { jsonLimitReplacer } from '../present/json-limits.js';
import { carryRoot, shellWord, shownHint } from '../present/root-in-hints.js';
import { type CommandGroup, type CommandSpec, isGroup, parseCommandArgs } from './command.js';
import { topLevel } from './commands/index.js';
import { quickPkg } from './commands/pkg-quick.js';
import { type Context, createContext, type GlobalOptions } from './context.js';
import { newCommandLine, stdoutUsed, writeOut } from './out.js';

interface Split {
  globals: GlobalOptions;
  /** --root was on the command line (not BLUEPRINT_ROOT): the commands hints name carry it. */
  rootTyped: boolean;
  help: boolean;
  version: boolean;
  rest: string[];
}

/** Pulls the global options out of argv wherever they are (up to `--`), leaving the command's own. */
/** Runs as written: a --root that does not exist is refused (cli/box.ts), so the example makes it. */
const ROOT_EXAMPLE = 'Example: mkdir -p /tmp/box && blueprint --root /tmp/box pkg list';

export function splitGlobals(argv: string[], env: NodeJS.ProcessEnv): Split {
  const globals: GlobalOptions = {
    root: env.BLUEPRINT_ROOT || '/',
    json: false,
    yes: false,
    quiet: false,
    noColor: false,
  };
  let help = false;
  let version = false;
  let rootTyped = false;
  const rest: string[] = [];
  let seenCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--root') {
      const v = argv[++i];
      if (!v) throw new UsageError('--root needs a directory', ROOT_EXAMPLE);
      globals.root = v;
      rootTyped = true;
    } else if (a.startsWith('--root=')) {
      globals.root = a.slice(7);
      rootTyped = true;
    } else if (a === '--json') globals.json = true;
    else if (a === '--yes' || a === '-y') globals.yes = true;
    else if (a === '--quiet' || a === '-q') globals.quiet = true;
    else if (a === '--no-color') globals.noColor = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (!seenCommand && (a === '--version' || a === '-V')) version = true;
    else {
      if (!a.startsWith('-')) seenCommand = true;
      rest.push(a);
    }
  }
  if (!globals.root) throw new UsageError('--root needs a directory', ROOT_EXAMPLE);
  globals.root = path.resolve(globals.root);
  return { globals, rootTyped, help, version, rest };
}

async function runSpec(ctx: Context, spec: CommandSpec, argv: string[], prog: string, help: boolean) {
  if (help) {
    writeOut((await import('./help-text.js')).commandHelp(spec, prog, ctx));
    return ExitCode.ok;
  }
  const parsed = await parseCommandArgs(spec, argv, prog);
  try {
    return (await spec.run(ctx, parsed)) ?? ExitCode.ok;
  } catch (err) {
    // A usage error says what to do next: the command's help, where it names nothing better.
    if (err instanceof UsageError && !err.hint)
      throw new UsageError(err.message, `See \`${prog} ${spec.name} --help\`.`);
    throw err;
  }
}

async function dispatch(
  ctx: Context,
  target: CommandGroup | CommandSpec,
  argv: string[],
  prog: string,
  help: boolean,
) {
  if (!isGroup(target)) return runSpec(ctx, target, argv, prog, help);
  // `bpkg key` alone lists, as it did when key was one command: the group's bare command.
  const [sub = help ? undefined : target.bare, ...rest] = argv;
  if (!sub) {
    // With --json stdout holds one JSON document: a missing sub-command is the usage error.
    if (ctx.json && !help) throw (await import('./usage-text.js')).noCommand(prog);
    // `bpkg --help`: the program's own help, so with the global options and exit codes.
    const top = prog === 'bpkg';
    writeOut((await import('./help-text.js')).groupHelp(target, prog, ctx, top));
    return help ? ExitCode.ok : ExitCode.usage;
  }
  // A group's help word (blueprint pkg help install, blueprint service help): as bpkg help install
  // (bpkg is blueprint pkg) and blueprint help pkg install take it.
  if (sub === 'help' && !target.commands.some((c) => c.name === 'help'))
    return dispatch(ctx, target, rest, prog, true);
  const spec = target.commands.find((c) => c.name === sub);
  if (!spec) throw await (await import('./usage-text.js')).unknownCommand(sub, prog, target, rest, help);
  // A group in the group (`bpkg key add`): its commands are named after both.
  return dispatch(ctx, spec, rest, isGroup(spec) ? `${prog} ${sub}` : prog, help);
}

/** An unexpected error's hint (also src/main.ts's, for one thrown outside a command's handling). */
export const BUG_HINT = 'This is a bug in blueprint; please report it with the command you ran.';

function reportError(ctx: Context | undefined, json: boolean, err: unknown, typed?: string[]): number {
  // The admin answered no: not an error, but not silent either (apt says "Abort."): one plain line
  // that nothing changed, and exit 1 so a script that piped an answer in sees it did not happen.
  if (err instanceof DeclinedError) {
    process.stderr.write(`${errorBlock(err.message)}\n`);
    return err.exitCode;
  }
  const e =
    err instanceof BlueprintError
      ? err
      : // A file of root's read without root (an admin who forgot sudo): not a bug, and said how.
        isPermissionDenied(err) && typed
        ? new BlueprintError(
            `Permission denied: ${(err as NodeJS.ErrnoException).path ?? (err as Error).message}`,
            'permission-denied',
            `Run it as root: \`sudo ${typed.map(shellWord).join(' ')}\``,
            ExitCode.storage,
          )
        : new BlueprintError(
            // Not ours, so never meant to have lines: one line (V8's JSON.parse quotes its input, breaks
            // and all; a file's text printed a forged `hint:` under `error:`).
            escapeLine((err as Error)?.message ?? String(err)),
            'internal',
            BUG_HINT,
          );
  // Its commands on the box this command line names (present/root-in-hints.ts).
  const hint = e.hint && shownHint(e.hint);
  if (json)
    writeOut(
      `${escapeJson(JSON.stringify({ error: { ...e.toJSON(), ...(hint ? { hint } : {}) } }, jsonLimitReplacer, 2))}\n`,
    );
  const color = ctx?.color ?? false;
  // Messages quote untrusted text (a hostile index's keys, a server's answer, a file's name):
  // escaped, their further lines indented.
  process.stderr.write(`${color ? '\x1b[31merror:\x1b[0m' : 'error:'} ${errorBlock(e.message)}\n`);
  if (hint)
    process.stderr.write(`${color ? '\x1b[2m' : ''}hint: ${errorBlock(hint)}${color ? '\x1b[0m' : ''}\n`);
  // The stack starts with the same message: escaped as the report is.
  if (e.code === 'internal' && process.env.BLUEPRINT_DEBUG && (err as Error)?.stack)
    process.stderr.write(`${errorBlock(String((err as Error).stack))}\n`);
  return e.exitCode;
}

/** This run's --json, for an error reported outside runCli (reportUncaught). */
let jsonRun = false;

/**
 * The executable's last resort (src/main.ts) for an error thrown outside the CLI's own handling (a
 * callback, a promise no one awaits): reported as runCli reports an error (an unexpected one is a
 * bug to report; the stack only with BLUEPRINT_DEBUG), and with --json as the one JSON document on
 * stdout unless the command already wrote there. Returns the exit code.
 */
export function reportUncaught(err: unknown): number {
  return reportError(undefined, jsonRun && !stdoutUsed(), err);
}

/** Entry point: `argv0` decides the personality (multi-call: `bpkg` is `blueprint pkg`). */
export async function runCli(argv: string[], argv0: string): Promise<number> {
  // bpkg-arm64: the link beside a cross-built dist/blueprint-arm64 (scripts/build-arch.mjs).
  const asBpkg = /^bpkg(-arm64)?$/.test(path.basename(argv0));
  const prog = asBpkg ? 'bpkg' : 'blueprint';
  carryRoot(undefined);
  newCommandLine();
  let split: Split;
  try {
    split = splitGlobals(argv, process.env);
  } catch (err) {
    return reportError(undefined, argv.includes('--json'), err);
  }
  const { globals } = split;
  jsonRun = globals.json;
  // With --json stdout holds one document (or a follower's one object a line): an error after the
  // answer began goes to stderr only, the exit code saying it failed, never as a second document.
  const jsonError = () => globals.json && !stdoutUsed();
  // `blueprint help [COMMAND...]` (and `bpkg help`), as git, podman and ollama take it: COMMAND... --help.
  const help = split.help || split.rest[0] === 'help';
  const rest = split.rest[0] === 'help' ? split.rest.slice(1) : split.rest;
  if (split.version) {
    writeOut(
      // The document `--json version` prints (commands/version.ts): one answer, one shape.
      globals.json
        ? `${JSON.stringify({ version: VERSION, node: process.versions.node, arch: hostArch() }, null, 2)}\n`
        : `${prog} ${VERSION}\n`,
    );
    return ExitCode.ok;
  }
  // Static, not loaded for a root other than / only: it and shell-word.ts are small, and imported
  // from here they stay in the start part; loaded on demand, shell-word.ts (which the services'
  // modules import too) came from the lazy part, which every --root command then compiled.
  if (globals.root !== '/') carryRoot({ root: globals.root, typed: split.rootTyped });

  // Made when a command asks for its signal or a signal arrives: AbortController's first use loads
  // Node's event target modules, a tenth of what `--json version` does beyond `node -e 0`.
  let abort: AbortController | undefined;
  const controller = () => {
    abort ??= new AbortController();
    return abort;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    // Before exiting: the tools it runs (build.sh, podman build) are ended with their process
    // groups, which a SIGTERM to blueprint alone never reaches, and its temporary files removed.
    // A command that never took its signal (repo build, repo publish) does not stop between its
    // steps: aborting would change nothing and it would run on to the end. It ends now, as the
    // default SIGINT would, saying so. So does a second signal while the first is being honoured
    // (Ctrl-C pressed again during a long step): silence would leave the admin guessing whether
    // anything happened.
    if (!abort || abort.signal.aborted) {
      // What the undone steps said: the image a build made removed, or the command that removes it.
      const said = endNow();
      const code = reportError(
        ctx,
        jsonError(),
        new InterruptedError(
          `Interrupted by ${sig}`,
          ['It stopped part-way: run the command again.', ...said].join(' '),
          sig,
        ),
      );
      // exit() waits for libuv's thread pool, and a file read that never returns (a FIFO where a
      // file was expected, a hung mount) kept the process for good, its message already written.
      // With file-system or DNS work in flight, once the exit handlers (the clean-up) have run,
      // the process is replaced by one that exits with the same code: execve ends every thread
      // without waiting (test/cli/interrupt-stuck-read; model-import-interrupted: 130 / 143 kept).
      process.once('exit', () => {
        const busy = process
          .getActiveResourcesInfo()
          .some((r) => r.startsWith('FSReq') || r === 'GetAddrInfoReqWrap');
        if (busy)
          try {
            process.execve?.('/bin/sh', ['sh', '-c', `exit ${code}`], {});
          } catch {}
      });
      process.exit(code);
    }
    controller().abort(new InterruptedError(`Interrupted by ${sig}`, undefined, sig));
  };
  // A hangup (its terminal closed, its ssh session gone) ends it as it always did, by the signal;
  // the tools it runs in their own process groups never get the terminal's, so they are ended first.
  const onHangup = () => {
    endNow();
    process.off('SIGHUP', onHangup);
    process.kill(process.pid, 'SIGHUP');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  // answerSignal: the command's exit code stands at a signal (context.ts).
  let answered = false;
  const ctx = createContext(
    globals,
    () => controller().signal,
    () => {
      answered = true;
    },
  );
  let newRoot: true | undefined;
  const command = async (): Promise<number> => {
    // A --root that is a file: every command would fail on a path below it (ENOTDIR, an internal
    // error), some after making nothing sensible. One not there (a typo): refused unless the command
    // makes a box (usage-text.ts's checkRoot), and then said, once it is over, only if it was made.
    if (!help && globals.root !== '/') {
      const st = process.getBuiltinModule('node:fs').statSync(globals.root, { throwIfNoEntry: false });
      if (!st?.isDirectory())
        newRoot = (await import('./usage-text.js')).checkRoot(
          globals.root,
          st,
          asBpkg ? ['pkg', ...rest] : rest,
          split.rootTyped,
        );
      // A tree another user may change, or a new one made in a folder of theirs: judged for the
      // command (core/system/tree-owner.ts).
      if (treeShared(globals.root))
        (await import('../app/folders.js')).assertTreeOurs(globals.root, asBpkg ? ['pkg'] : rest);
    }
    // `bpkg search WORD` and `bpkg update` answered without loading the pkg command (pkg-quick.ts).
    const pkgArgv = asBpkg ? rest : rest[0] === 'pkg' ? rest.slice(1) : undefined;
    if (pkgArgv && !help) {
      const code = await quickPkg(ctx, pkgArgv);
      if (code !== undefined) return code;
    }
    if (asBpkg) {
      const { pkgGroup } = await import('./commands/pkg.js');
      return await dispatch(ctx, pkgGroup, rest, prog, help);
    }
    const [name, ...args] = rest;
    if (!name) {
      if (globals.json && !help) throw (await import('./usage-text.js')).noCommand(prog);
      if (help || !ctx.interactive) {
        writeOut((await import('./help-text.js')).topHelp(prog, ctx));
        return help ? ExitCode.ok : ExitCode.usage;
      }
      const { tuiCommand } = await import('./commands/tui.js');
      return await runSpec(ctx, tuiCommand, [], prog, false);
    }
    const entry = topLevel.find((c) => c.name === name);
    if (!entry)
      throw await (await import('./usage-text.js')).unknownCommand(name, prog, undefined, args, help);
    const target = await entry.load();
    // A group's commands are named after it (`blueprint pkg install`); a command is its own name.
    return await dispatch(ctx, target, args, isGroup(target) ? `${prog} ${name}` : prog, help);
  };
  try {
    const code = await command();
    // A Ctrl-C or SIGTERM the command took but never looked at (a slow step that does not check
    // it): it ran to its end, and said 0 as if no one had asked it to stop, so `blueprint apply
    // --dry-run && blueprint apply` went on. The exit code says it was interrupted (130, 143), and
    // stderr why; what the command printed is whole (with --json its one document on stdout).
    if (code || answered || !abort?.signal.aborted) return code;
    return (await import('./ran-past-signal.js')).ranPastSignal(abort.signal.reason);
  } catch (err) {
    if (abort?.signal.aborted && !(err instanceof BlueprintError))
      return reportError(ctx, jsonError(), abort.signal.reason);
    const code = reportError(ctx, jsonError(), err, [prog, ...argv]);
    // Stopped between its steps by SIGTERM (its own InterruptedError says where it stopped): 143.
    return code === ExitCode.interrupted && abort?.signal.reason?.exitCode === ExitCode.terminated
      ? ExitCode.terminated
      : code;
  } finally {
    if (newRoot && !globals.quiet && process.getBuiltinModule('node:fs').existsSync(globals.root))
      process.stderr.write((await import('./usage-text.js')).newRootNote(globals.root, split.rootTyped));
    // Run again in the same process (tests): the next command line says its own root.
    carryRoot(undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
  }
}
