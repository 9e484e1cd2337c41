/**
 * The package manager's own copy of an imported model's package, and the unpacking of it, lower the
 * import's promise of room (the model room, upload-room.ts) as their bytes land, not only at each
 * step's end. Lowered at the ends alone, each copy was on disk and promised at once while it was
 * written, up to the model's size: from the first byte of the package manager's private copy to
 * the unpacking's start (which takes in the install's planning and, on a terminal, the admin's
 * answer to its question), and through the unpacking. Another import or upload checked then (two
 * at once on a small disk: the dashboard's uploads, a CLI import beside one) was refused for room
 * that was there. One small disk here: a tmpfs holds the whole box, the model a 256 MiB GGUF.
 *
 * What this process promises (heldHere) is read at the install's question (its private copy made,
 * the unpacking not begun) and at the last bytes of each copy (the package manager's WrittenEvent,
 * which the import passes on after lowering its promise).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { checkImportSpace } from '../../src/core/models/import.js';
import { heldHere } from '../../src/core/models/upload-room.js';
import { SPACE_RESERVE } from '../../src/core/system/copy-hashed.js';
import { layout } from '../../src/core/system/paths.js';
import { llamaGguf } from '../helpers/gguf-bytes.js';
import { tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';

const MiB = 1024 ** 2;
const mountTmpfs = tmpfsPerFile();

/** A llama GGUF of no tensors (2 layers, 2 KV heads of 16), zeros after its header up to `size`. */
function model(file: string, size: number): void {
  writeFileSync(file, llamaGguf(2, 2, 16));
  execFileSync('truncate', ['-s', String(size), file]);
}

it("the package manager's copy and unpacking of an import lower its promise as their bytes land", async () => {
  const S = 256 * MiB;
  const file = path.join(tempDir('bp-room-land-src-'), 'big.gguf');
  model(file, S);
  const root = path.join(tempDir('bp-room-land-'), 'root');
  mkdirSync(root);
  // The whole box on one small disk: the import asks 3 x 256 MiB and the 64 MiB reserve.
  mountTmpfs(root, '1100m');
  const paths = layout(root);
  const seen: { copied?: number; unpacked?: number; asked?: number; fits?: number } = {};
  let refusedThen: unknown;
  const box = openBox(root, {
    // The install's question: the private copy of the package is made, the unpacking not begun.
    confirm: async () => {
      seen.asked = heldHere();
      // A dashboard upload asked for now (4 x its size on one disk, and the reserve): the largest
      // the disk really has room for beside what this import has still to write (the unpacked
      // model, S), with this import's promise as it stands counted as taken.
      const st = statfsSync(paths.cacheDir);
      const free = st.bavail * st.bsize;
      seen.fits = Math.floor((free - S - SPACE_RESERVE) / 4);
      refusedThen = await checkImportSpace(paths, seen.fits, true, undefined, heldHere()).catch((e) => e);
      return true;
    },
  });
  const r = await box.models.import(file, {
    name: 'land',
    license: 'MIT (test)',
    onWritten: (w) => {
      if (w.step === 'copy' && w.bytes >= S) seen.copied ??= heldHere();
      if (w.step === 'unpack' && w.bytes >= S) seen.unpacked ??= heldHere();
    },
  });
  expect(r.package).toBe('model-land');
  // Before the install the import's own copy and package are on disk, and 2 x S is promised: the
  // package manager's copy and the unpacked files. Its copy's last byte landed: S (it was 2 S).
  expect(seen.copied).toBe(S);
  expect(seen.asked).toBe(S);
  // The upload that fits in what is really free is admitted (it was refused: 256 MiB counted twice).
  expect(refusedThen).toBe(4 * seen.fits!);
  expect(seen.fits).toBeGreaterThan(0);
  // The unpacked model's last byte landed: less than one saving's worth of it is still promised
  // (the account is saved every 64 MiB written, the rest at the step's end); it was S until the
  // package's prepare.
  expect(seen.unpacked).toBeLessThan(64 * MiB);
  expect(heldHere()).toBe(0);
}, 120_000);
