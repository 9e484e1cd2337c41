import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, UsageError } from '../errors.js';
import { packageName } from '../pkg/format.js';
import { templateFiles } from './template/index.js';

export interface Scaffolded {
  name: string;
  dir: string;
  files: string[];
}

/**
 * Writes a new module folder from the template. The files go to a hidden sibling folder first and
 * are renamed into place at the end, so an interrupted run leaves no half-written module.
 */
export async function scaffoldModule(name: string, dir: string): Promise<Scaffolded> {
  const valid = packageName.safeParse(name);
  if (!valid.success)
    throw new UsageError(
      `"${name}" is not a valid module name: ${valid.error.issues[0]?.message}`,
      'Use lower-case letters, digits and dashes, e.g. `blueprint module new my-service`.',
    );
  const target = path.resolve(dir);
  const existing = await readdir(target).catch(() => undefined);
  if (existing && existing.length > 0)
    throw new ConflictError(
      `${target} already exists and is not empty`,
      'module-exists',
      'Choose another folder with --dir DIR, or remove that one first.',
    );
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.new-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    const files = templateFiles(name);
    for (const f of files) {
      const full = path.join(tmp, f.path);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, f.content, { mode: f.mode });
    }
    if (existing) await rm(target, { recursive: true });
    await rename(tmp, target);
    return { name, dir: target, files: files.map((f) => f.path) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
