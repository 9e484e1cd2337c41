import { lstatSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Folders a command makes on its way to one it needs, and their removal when it fails: a refused
 * command on a new (or mistyped) root leaves no folder tree behind.
 */

/** The folders from `dir` up that are not there yet, deepest first. */
export function notYetThere(dir: string): string[] {
  const out: string[] = [];
  for (
    let d = path.resolve(dir);
    d !== path.dirname(d) && !lstatSync(d, { throwIfNoEntry: false });
    d = path.dirname(d)
  )
    out.push(d);
  return out;
}

/**
 * Removes `made` (deepest first, as notYetThere lists them) while each is empty; the first that is
 * not (another command's work in it) ends it.
 */
export async function removeWhileEmpty(made: readonly string[]): Promise<void> {
  for (const dir of made)
    if (
      !(await rmdir(dir).then(
        () => true,
        () => false,
      ))
    )
      break;
}
