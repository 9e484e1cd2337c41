/**
 * A spec holding a '/' is a package file's path, and a bare name that is a folder in the working
 * folder (and no package) meant that folder, only when typed in a shell (bpkg install: `typed`).
 * The dashboard's and the console's installs pass a package's name: one that is a path or a folder
 * on the box (the dashboard's cwd) is not read, listed or named in a hint.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { tempDir } from '../helpers/pkg.js';

describe('typed specs and names', () => {
  const here = tempDir('bp-typed-');
  mkdirSync(path.join(here, 'pkgs'));
  writeFileSync(path.join(here, 'pkgs', 'secret-name_1.0.0_all.bpkg'), '');
  const cwd = process.cwd();

  async function refusal(spec: string, typed: boolean) {
    const pm = new PackageManager({ root: tempDir('bp-typed-root-') });
    process.chdir(here);
    try {
      return await pm.install([spec], typed ? { typed } : {}).then(
        () => undefined,
        (err: Error & { code?: string; hint?: string }) => err,
      );
    } finally {
      process.chdir(cwd);
    }
  }

  it('typed: a folder named bare or by a path is said, with the file in it', async () => {
    for (const spec of ['pkgs', './pkgs', `${here}/pkgs/`]) {
      const err = await refusal(spec, true);
      expect(err?.code, spec).toBe('not-a-file');
      expect(err?.hint).toContain('secret-name_1.0.0_all.bpkg');
    }
  });

  it('a name from a screen: looked up as a name, the folder neither read nor named', async () => {
    for (const spec of ['pkgs', './pkgs', `${here}/pkgs/`]) {
      const err = await refusal(spec, false);
      expect(err?.code, spec).not.toBe('not-a-file');
      expect(`${err?.message} ${err?.hint}`).not.toContain('secret-name');
    }
  });

  // A screen's install, preview and plan (src/app) take names only: a path there, of a .bpkg file
  // too, is refused before anything is read (the core reads a .bpkg path for any caller).
  it("the box's packages from a screen: a path is no package name, nothing read", async () => {
    const box = openBox(tempDir('bp-typed-root-'), { confirm: async () => true });
    for (const spec of [`${here}/pkgs/secret-name_1.0.0_all.bpkg`, `${here}/pkgs/`]) {
      for (const attempt of [
        () => box.packages.install([spec]),
        () => box.packages.plan([spec]),
        () => box.packages.preview(spec),
      ]) {
        const err = await attempt().then(
          () => undefined,
          (e: Error & { code?: string; exitCode?: number }) => e,
        );
        expect(err?.message, spec).toBe(`${spec} is not a package name`);
        expect(err?.exitCode).toBe(2);
      }
    }
  });
});
