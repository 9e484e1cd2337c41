import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { readSetupFile } from './keys.js';

/** What the wizard's steps share to judge a typed answer: a schema field, y/n, a list, a file. */

/** The first thing a schema field refuses in `value`, in its words; undefined: taken. */
export function fieldError(schema: z.ZodType, value: unknown): string | undefined {
  const r = schema.safeParse(value);
  return r.success ? undefined : (r.error.issues[0]?.message ?? 'is not valid');
}

export const yes = (v: string) => /^(y|yes)$/i.test(v.trim());
export const yesNo = (v: string) => /^(y|yes|n|no)$/i.test(v.trim());

/** Names or addresses typed separated by commas or blanks. */
export const list = (v: string) => v.split(/[\s,]+/).filter(Boolean);

/** An answer that names a file (an SSH key on a USB stick) rather than holding the text itself. */
export const looksLikePath = (v: string) => /^(\/|\.\/|\.\.\/|~\/)/.test(v) || /\.(pub|asc|gpg)$/.test(v);

/** The file an answer names (`~/`, or relative to `cwd`), or why it cannot be read. */
export async function readNamedFile(v: string, cwd: string): Promise<string | { error: string }> {
  const file = v.startsWith('~/') ? path.join(os.homedir(), v.slice(2)) : path.resolve(cwd, v);
  // As setup reads the files an answers file names (keys.ts): a FIFO or /dev/zero typed here
  // (a USB stick's file) is refused, not waited on.
  try {
    return await readSetupFile(file, '');
  } catch (err) {
    return { error: (err as Error).message.replace(/^Cannot/, 'cannot') };
  }
}
