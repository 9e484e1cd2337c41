/**
 * The model room (var/lib/blueprint/model-room.json) through an import's install step: each copy
 * the install makes is on disk, so no longer promised, once it lands. One disk: the import promises
 * 3 × the file (its copy, the package made of it, and the install's: the package manager's copy of
 * the package in the cache, then the files unpacked from it); the package manager's copy lowered
 * the promise when the unpacking began, but the unpacked files never did, so from the unpacking to
 * the import's end the model was counted twice (unpacked on disk, and promised), and another import
 * or upload was refused for room that was there. And an upload's import, whose promise is the
 * upload's, leaves nothing of it promised once the model is installed.
 *
 * What this process promises (heldHere) is read at each of the package manager's steps: it is what
 * the account says once saved, which every step saves without waiting (a later step sees it).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it, vi } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { heldHere } from '../../src/core/models/upload-room.js';
import type { ProgressEvent } from '../../src/core/pkg/parts.js';
import { receiveWhole } from '../helpers/model-upload.js';
import { tempDir } from '../helpers/pkg.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';
import { Q8 } from './helpers.js';

const size = statSync(Q8).size;
const mountTmpfs = tmpfsPerFile();

/** An upload of the test model received by `models` (its promise held by this process). */
const upload = (models: ReturnType<typeof openBox>['models']) => receiveWhole(models, readFileSync(Q8));

/** The import of `file` as `name`, failed by its package's prepare step (after the unpacking). */
async function failedAfterUnpack(models: ReturnType<typeof openBox>['models'], file: string, name: string) {
  const err = await models
    .import(file, {
      name,
      onProgress: (p) => {
        if (p.phase === 'prepare' && p.name === `model-${name}`)
          throw new Error('stopped after the unpacking');
      },
    })
    .catch((e: unknown) => e);
  expect(String(err)).toContain('stopped after the unpacking');
}

/** A new box's root, one file system for its cache and its installed files (the test's temp folder). */
function newBox(tag: string): { root: string; account: string } {
  const root = path.join(tempDir(tag), 'root');
  mkdirSync(root);
  return { root, account: path.join(root, 'var/lib/blueprint/model-room.json') };
}

/** This process's promise at each step of the install of `pkg` (the first time each is seen). */
function stepsOf(pkg: string) {
  const seen: Record<string, number> = {};
  return {
    seen,
    onProgress: (p: ProgressEvent) => {
      if ('name' in p && p.name === pkg) seen[p.phase] ??= heldHere();
    },
  };
}

it("an import's install lowers its promise as each copy lands: the unpacked model is not counted twice", async () => {
  const { root, account } = newBox('bp-room-install-');
  const steps = stepsOf('model-room');
  let atInstall: number | undefined;
  const r = await openBox(root, { yes: true }).models.import(Q8, {
    name: 'room',
    onImport: (p) => {
      if (p.phase === 'install') atInstall = heldHere();
    },
    onProgress: steps.onProgress,
  });
  expect(r.package).toBe('model-room');
  // The package made (its copy gone): the install's two copies still to come.
  expect(atInstall).toBe(2 * size);
  // Unpacking: the package manager's copy of the package is in the cache.
  expect(steps.seen.unpack).toBe(size);
  // Unpacked (the file list written, the package's hooks next): nothing more to come.
  expect(steps.seen.prepare).toBe(0);
  expect(heldHere()).toBe(0);
  expect(existsSync(account)).toBe(false);
});

it("an upload's import leaves none of the upload's promise once the model is installed", async () => {
  const { root, account } = newBox('bp-room-install-upload-');
  const models = openBox(root, { yes: true }).models;
  const up = await upload(models);
  try {
    // The upload on disk: its promise is the import's copies (3 × the file on one disk).
    expect(heldHere()).toBe(3 * size);
    const steps = stepsOf('model-up');
    const r = await models.import(up.file, { name: 'up', onProgress: steps.onProgress });
    expect(r.package).toBe('model-up');
    expect(steps.seen.unpack).toBe(size);
    expect(steps.seen.prepare).toBe(0);
    // Installed; the upload file is kept until discarded, on disk: nothing promised.
    expect(heldHere()).toBe(0);
    // The account says so once the last step's save (made without waiting) is written.
    const held = () => (JSON.parse(readFileSync(account, 'utf8')) as { held: { bytes: number }[] }).held;
    await vi.waitFor(() => expect(held().map((e) => e.bytes)).toEqual([0]));
  } finally {
    await up.discard();
  }
  expect(heldHere()).toBe(0);
  expect(existsSync(account)).toBe(false);
});

it("a failed upload's import promises again what it took off, and no more: the installed files on another disk were never promised", async () => {
  const { root } = newBox('bp-room-install-disks-');
  const cache = path.join(root, 'var/cache/blueprint');
  mkdirSync(cache, { recursive: true });
  mountTmpfs(cache, '96m'); // the cache on a disk of its own: the installed files are elsewhere
  const models = openBox(root, { yes: true }).models;
  const up = await upload(models);
  try {
    // The upload on disk: its import's copy and package still promised (2 x the file).
    expect(heldHere()).toBe(2 * size);
    await failedAfterUnpack(models, up.file, 'disks');
    // The copies removed: what the upload's import needs again, as before it (3 x before: the
    // unpacked files, on the other disk, were taken off a promise that never held them).
    expect(heldHere()).toBe(2 * size);
    expect((await models.list()).map((m) => m.name)).toEqual([]);
  } finally {
    await up.discard();
  }
  expect(heldHere()).toBe(0);
});

it("a failed upload's import on one disk promises again all it took off (control)", async () => {
  const { root } = newBox('bp-room-install-one-disk-');
  const models = openBox(root, { yes: true }).models;
  const up = await upload(models);
  try {
    expect(heldHere()).toBe(3 * size);
    await failedAfterUnpack(models, up.file, 'onedisk');
    expect(heldHere()).toBe(3 * size);
  } finally {
    await up.discard();
  }
  expect(heldHere()).toBe(0);
});
