/**
 * The model room (var/lib/blueprint/model-room.json) counts each byte of an upload and its import
 * once: on disk, or promised, not both. An upload's import added nothing of its own but did not
 * lower the upload's promise either, so while it copied, packed and installed, its bytes on disk
 * were counted again in the promise, and a second import that fitted the disk was refused. Now
 * the import takes the upload's promise over and lowers it by each step's bytes once they are on
 * disk. A real box, its package cache on a tmpfs sized so that the second import fits when the
 * first's bytes count once and not when some count twice; the second import is the built
 * executable, another process, run while the first is between its package and its install.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { receiveWhole } from '../helpers/model-upload.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';
import { F32, Q8 } from './helpers.js';

const KiB = 1024;
const RESERVE = 64 * KiB * KiB; // SPACE_RESERVE
const mountTmpfs = tmpfsPerFile();

it("an upload's import takes the upload's room over: a second import that fits once is not refused", async () => {
  const root = path.join(tempDir('bp-room-once-'), 'root');
  const cache = path.join(root, 'var/cache/blueprint');
  mkdirSync(cache, { recursive: true });
  const a = statSync(F32).size;
  const b = statSync(Q8).size;
  // At the first's package (its copy removed): the upload and the package on disk, and the install's
  // copy of the package still to come (a). The second, a CLI import with its installed files on
  // another disk, asks 2b and the reserve. 256 KiB for tar headers, the signature and pages: less
  // than a, the bytes counted twice before.
  const size = RESERVE + 3 * a + 2 * b + 256 * KiB;
  mountTmpfs(cache, `${Math.ceil(size / KiB)}k`);

  const models = openBox(root, { yes: true }).models;
  const up = await receiveWhole(models, readFileSync(F32));
  let second: ReturnType<typeof spawnSync> | undefined;
  try {
    const r = await models.import(up.file, {
      name: 'first',
      onImport: (p) => {
        if (p.phase !== 'sign' || second) return;
        second = spawnSync(blueprintExe, ['--root', root, 'model', 'import', Q8, '--name', 'second'], {
          encoding: 'utf8',
          env: { PATH: '/usr/bin:/bin', HOME: root },
          timeout: 60_000,
        });
      },
    });
    expect(r.package).toBe('model-first');
  } finally {
    await up.discard();
  }
  expect(second?.stderr).not.toMatch(/Not enough free space/);
  expect(second?.status, String(second?.stderr)).toBe(0);
  const list = await openBox(root).models.list();
  expect(list.map((m) => m.name).sort()).toEqual(['first', 'second']);
}, 120_000);
