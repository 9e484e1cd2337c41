/**
 * Who else could change a folder (src/core/system/folder-writers.ts), for the front ends that judge
 * one of their own: the console's code-cache folder, the dashboard's run folder. Not in base.ts,
 * whose re-exports every command compiles at start (test/perf/start-path: the start part under 64
 * KB). ensureDir makes a folder one level at a time (mkdir's own recursion spins under /proc).
 * assertTreeOurs: the `--root` contract (cli/index.ts asks it when paths.ts's treeShared finds a doubt).
 */

export { otherWriter, otherWriterOnTheWay, type WriterAllowances } from '../core/system/folder-writers.js';
export { ensureDir } from '../core/system/fs.js';
export { assertTreeOurs } from '../core/system/tree-owner.js';
