/** Planned package mounts of model files, for tests of what a service reads from its models. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlannedPackageMount } from '../../src/core/services/package-mounts.js';
import { tempDir } from './pkg.js';

/**
 * One planned mount (its spec left out) of a package `model-NAME` a model, each file written as
 * NAME.gguf into a new temp folder (`tag` its prefix) and mounted at /models/NAME.
 */
export function modelMounts(models: Record<string, Buffer>, tag: string): PlannedPackageMount[] {
  const base = tempDir(tag);
  const packages = Object.entries(models).map(([name, bytes]) => {
    writeFileSync(path.join(base, `${name}.gguf`), bytes);
    return {
      name: `model-${name}`,
      version: '1.0.0',
      folder: name,
      source: base,
      path: `/models/${name}`,
      files: { [`models/${name}/${name}.gguf`]: '0'.repeat(64) },
    };
  });
  return [{ spec: {} as never, packages, refused: [] } as unknown as PlannedPackageMount];
}
