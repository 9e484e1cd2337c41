/**
 * A module whose Containerfile copies rootfs/ while there is neither a rootfs/ folder nor a build.sh
 * to make one (QA9's walk: a build.sh deleted, or a recipe written by hand) passed `module lint`
 * and failed at build with podman's `stat "/rootfs": no such file`. Lint now warns, naming the line
 * and the path; a build.sh (which may write it) or the folder itself keeps it quiet.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintModule, scaffoldModule } from '../../src/core/modules/index.js';
import { tempDir } from '../helpers/pkg.js';

const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

/** A fresh scaffold (its Containerfile: FROM scratch, COPY rootfs/ /), with `edit` applied. */
async function module(edit: (dir: string) => Promise<void>): Promise<string> {
  const base = tempDir('bp-mod-copy-');
  made.push(base);
  const dir = path.join(base, 'copier');
  await scaffoldModule('copier', dir);
  await edit(dir);
  return dir;
}

const copyWarnings = (r: { warnings: { field: string; message: string }[] }) =>
  r.warnings.filter((w) => w.field.startsWith('Containerfile'));

describe('module lint on what the Containerfile copies', () => {
  it('warns when rootfs/ is copied and neither it nor a build.sh is there', async () => {
    const dir = await module((d) => rm(path.join(d, 'build.sh')));
    const r = await lintModule(dir);
    expect(copyWarnings(r)).toEqual([
      {
        field: 'Containerfile:3',
        message: expect.stringContaining('COPY rootfs/: there is no rootfs/ here and no build.sh to make it'),
      },
    ]);
  });

  it('is quiet when build.sh is there to make it, or the folder is', async () => {
    expect(copyWarnings(await lintModule(await module(async () => {})))).toEqual([]);
    const withRoot = await module(async (d) => {
      await rm(path.join(d, 'build.sh'));
      await mkdir(path.join(d, 'rootfs'));
    });
    expect(copyWarnings(await lintModule(withRoot))).toEqual([]);
  });

  it('names each missing source; passes over another stage, a path leaving the folder, a pattern', async () => {
    const dir = await module(async (d) => {
      await rm(path.join(d, 'build.sh'));
      await mkdir(path.join(d, 'rootfs'));
      await writeFile(
        path.join(d, 'Containerfile'),
        'FROM scratch AS build\nCOPY rootfs/ /\nFROM scratch\nCOPY --from=build /app /app\nCOPY --chmod=0644 ["conf/app.json", "rootfs/", "/etc/"]\nCOPY ../outside *.json $X /x/\n',
      );
    });
    expect(copyWarnings(await lintModule(dir))).toEqual([
      {
        field: 'Containerfile:5',
        message: expect.stringContaining(
          'COPY conf/app.json: there is no conf/app.json here and no build.sh',
        ),
      },
    ]);
  });
});
