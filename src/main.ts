import { runCli } from './cli/index.js';
import { directStdout } from './cli/out.js';

// No top-level await: this is the executable's CommonJS main (scripts/build-options.mjs).
directStdout();
runCli(process.argv.slice(2), process.argv0).then((code) => {
  process.exitCode = code;
});
