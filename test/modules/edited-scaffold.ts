/**
 * A module as `blueprint module new` scaffolds it, its manifest then changed by the test: how the
 * lint tests make a module with one field wrong (or one section taken out) and nothing else.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scaffoldModule } from '../../src/core/modules/index.js';

/**
 * Scaffolds module `name` at `parent`/`name`, passes its parsed manifest.json to `edit` (which
 * changes it in place) and writes it back; returns the module's folder.
 */
export async function scaffoldEdited<Manifest = Record<string, unknown>>(
  parent: string,
  name: string,
  edit: (manifest: Manifest) => void,
): Promise<string> {
  const dir = path.join(parent, name);
  await scaffoldModule(name, dir);
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest, null, 2));
  return dir;
}
