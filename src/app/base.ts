/**
 * The part of src/app every command needs before it knows which command it runs: the errors and
 * exit codes, the version, the layout of a root. Nothing here imports a library: `blueprint
 * --version`, `version` and `--help` load this and not index.ts, whose re-exports (the setup
 * wizard's model, with zod and semver) cost 40 ms of compiling (docs/figures.md). The console
 * judges its code-cache folder before anything else loads, so who else can change a folder
 * (folder-writers.ts, built-ins only) is here too.
 */
export {
  BlueprintError,
  DeclinedError,
  ExitCode,
  InterruptedError,
  UsageError,
} from '../core/errors.js';
export { otherWriter, otherWriterOnTheWay, type WriterAllowances } from '../core/system/folder-writers.js';
export { type Layout, layout } from '../core/system/paths.js';
export { hostArch, VERSION } from '../core/version.js';
