/**
 * The part of src/app every command needs before it knows which command it runs: the errors and
 * exit codes, the version, the layout of a root. Nothing here imports a library: `blueprint
 * --version`, `version` and `--help` load this and not index.ts, whose re-exports (the setup
 * wizard's model, with zod and semver) cost 40 ms of compiling (docs/figures.md). Everything
 * re-exported here is compiled at every start (the start part keeps its exports whole for the
 * command part): what only some commands need lives in its own src/app file (folders.ts).
 */
export {
  BlueprintError,
  DeclinedError,
  ExitCode,
  InterruptedError,
  isPermissionDenied,
  UsageError,
} from '../core/errors.js';
export { endNow } from '../core/system/exit-cleanup.js';
export { type Layout, layout, treeShared } from '../core/system/paths.js';
export { hostArch, VERSION } from '../core/version.js';
