import { ExitCode, endNow } from './app/base.js';
import { reportUncaught, runCli } from './cli/index.js';
import { directStdout } from './cli/out.js';

/**
 * The last resort for an error thrown outside the CLI's own handling (a callback, a promise no one
 * awaits): without it Node printed it itself, message and stack as they were (a file's name, a
 * server's answer, escape sequences and line breaks included) and in its own words. Reported as the
 * CLI reports any error (cli/index.ts reportUncaught): an unexpected one is one escaped line, the
 * hint that it is a bug, the stack (escaped) only with BLUEPRINT_DEBUG, exit 1; with --json also the
 * error's JSON document when nothing was answered yet. Nothing here loads a module the start did not
 * already (test/perf/start-path); the stream is made only when there is something to say.
 * test/cli/uncaught-error.
 */
function lastResort(err: unknown): void {
  let code: number = ExitCode.failure;
  try {
    code = reportUncaught(err);
  } finally {
    process.exit(code);
  }
}
process.on('uncaughtException', lastResort);
process.on('unhandledRejection', lastResort);

// No top-level await: this is the executable's CommonJS main (scripts/build-options.mjs).
directStdout();
runCli(process.argv.slice(2), process.argv0).then((code) => {
  process.exitCode = code;
  // The command is over and its signal handlers gone, but the event loop may still be finishing (an
  // interrupted import's clean-up): a signal now (Ctrl-C pressed again) took the default action, the
  // process killed by it with its temporary files left. It ends now, those removed, with the code the
  // command chose. A signal listener does not keep the process alive.
  const late = () => {
    endNow();
    process.exit();
  };
  process.on('SIGINT', late);
  process.on('SIGTERM', late);
});
// 'beforeExit' comes once the event loop has nothing left to do: the answer is written (stdout and
// stderr are synchronous on Linux for files, pipes and terminals) and every request, timer and
// child is done. Leaving through process.exit there skips what a natural end does after it, the
// environment's and V8 heap's teardown, which no one waits for (~0.3 ms of `--json version`'s CPU,
// ~1 ms of `node -e 0`'s, issue 20); 'exit' handlers still run and the exit code is kept.
process.on('beforeExit', () => process.exit());
