/** `1 package`, `3 packages`: the one plural the CLI, the TUI and the web show. */
export const packageCount = (n: number): string => `${n} ${n === 1 ? 'package' : 'packages'}`;

/** One line per removed package, saying where a module's data went. */
export function removedLine(c: { name: string; from?: string; purged?: string; dataKept?: string }): string {
  const base = `removed ${c.name} ${c.from ?? ''}`.trimEnd();
  if (c.purged) return `${base}; its data deleted (${c.purged})`;
  if (c.dataKept) return `${base}; its data kept in ${c.dataKept} (bpkg remove --purge ${c.name} deletes it)`;
  return base;
}
