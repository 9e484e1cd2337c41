/**
 * bpkg's --json lists, with the same names for the same things in each (docs/pkg-json.md). The
 * older fields stay as they were, since scripts read them: `search`'s `installed` (a version) and
 * `repo`, `list`'s `installed` (a time) and `origin`, `info`'s and `list --upgradable`'s `repo`.
 * Beside them: `repository` (the repository a package comes from or is offered by; `file` for
 * one installed from a package file), `installedVersion` (only when installed) and, for an
 * installed record, `installedAt`. Small and dependency-free: the quick `bpkg search` of the
 * executable's start part uses it; the other lists' shapes are in pkg-json-query.ts, out of the
 * start part (its 67 KB budget, test/perf/start-path).
 */

/** A `bpkg search` hit. */
export const hitJson = <H extends { repo: string; installed?: string }>(h: H) => ({
  ...h,
  repository: h.repo,
  ...(h.installed !== undefined ? { installedVersion: h.installed } : {}),
});
