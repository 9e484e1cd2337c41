/**
 * The one read of a file someone else may have put there (src/core/system/read-bounded.ts), for a
 * front end reading a file the admin named (`bpkg key add FILE`): judged before it is opened, a
 * regular file only, bounded. Not in base.ts (the start part, test/perf/start-path).
 */
export { type BoundedRead, readBoundedFile } from '../core/system/read-bounded.js';
