/** `1 package`, `3 packages`: the one plural the CLI, the TUI and the web show. */
export const packageCount = (n: number): string => `${n} ${n === 1 ? 'package' : 'packages'}`;
