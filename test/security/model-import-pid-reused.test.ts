/**
 * REVIEW9: a model import's work folder left by an earlier process of the same pid. Each import
 * copies the model and packs it in a private folder of the package cache named by its process's
 * pid (var/cache/blueprint/model-import/PID-UUID: the copy and the package, twice the model's
 * gigabytes), and the next import removed the ones whose pid is dead. The dashboard's imports (of
 * its uploads) run in the dashboard, and a box that lost power mid-import boots the same services
 * in the same order, so the next dashboard often has the very pid of the one that died: its work
 * folder was judged alive and kept for good, in every later free-space check (the hole 9e0c71a8
 * closed for the partial uploads beside it). Now a work folder of this process's own pid that this
 * process is not using is an earlier one's, removed; this process's imports in flight (two at once
 * in the dashboard) keep theirs. The image also clears the folder at boot (tmpfiles.d), as it does
 * the partial uploads: a CLI import's pid given to a daemon at the next boot kept its folder too.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { layout } from '../../src/core/system/paths.js';
import { clearAsAtBoot } from '../helpers/boot-tmpfiles.js';
import { tempDir } from '../helpers/pkg.js';
import { F32 } from '../llm/helpers.js';

/** A work folder as an import killed mid-copy leaves it, named by `pid`. */
function leftBy(root: string, pid: number): string {
  const work = path.join(layout(root).cacheDir, 'model-import', `${pid}-${randomUUID()}`);
  mkdirSync(path.join(work, 'payload/models/big'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(work, 'payload/models/big/big.gguf'), Buffer.alloc(64 * 1024, 7));
  return work;
}

it("removes an import's work folder of this process's pid that it is not using; its own import in flight keeps its", async () => {
  const root = path.join(tempDir('bp-import-pid-'), 'root');
  mkdirSync(root);
  const earlier = leftBy(root, process.pid);
  const box = openBox(root, { yes: true });
  // A second import of this process starting while the first one is under way (a CLI-less caller
  // of src/app may run two): it prunes the folder at its start, and must leave the first one's. It
  // is ended as its copy starts (after its prune): left to run on, it could reach the package lock
  // before the first and the first would be refused ("another package operation"), a race.
  let second: Promise<unknown> | undefined;
  const stopSecond = new AbortController();
  const first = await box.models.import(F32, {
    name: 'tiny-a',
    onImport: (p) => {
      if (p.phase === 'sign' && !second)
        second = box.models
          .import(F32, {
            name: 'tiny-b',
            signal: stopSecond.signal,
            onImport: (q) => {
              if (q.phase === 'copy') stopSecond.abort();
            },
          })
          .catch((e) => e);
    },
  });
  expect(first.package).toBe('model-tiny-a');
  await second;
  expect(existsSync(earlier)).toBe(false);
  expect(readdirSync(path.dirname(earlier))).toEqual([]);
});

it('clears the work folders of the last boot at boot (the image), whatever pid they name', () => {
  const root = path.join(tempDir('bp-import-boot-'), 'root');
  // A live program's pid (the test runner's parent): the daemon the next boot gave it to.
  const reused = leftBy(root, process.ppid);
  const kept = path.join(layout(root).cacheDir, 'pkg/archives/hello_1.0.0.bpkg');
  mkdirSync(path.dirname(kept), { recursive: true });
  writeFileSync(kept, 'x');
  clearAsAtBoot(root);
  expect(existsSync(reused)).toBe(false);
  expect(existsSync(path.dirname(reused))).toBe(true);
  expect(existsSync(kept)).toBe(true);
});
