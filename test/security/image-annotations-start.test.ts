import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseManifest } from '../../src/core/pkg/format.js';
import {
  type ContainerInfo,
  containerName,
  inspectContainer,
} from '../../src/core/services/container-info.js';
import { startService, stopService } from '../../src/core/services/lifecycle.js';
import { annotatedHello } from '../helpers/annotated-image.js';
import { imageTagged } from '../helpers/test-images.js';
import {
  buildHello,
  makeBox,
  ownImageTag,
  podman,
  quietHook,
  type TestBox,
  uniqueName,
} from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * OCI annotations on a module's image reach every container made from it, and the runtime acts on
 * some (runc: `org.systemd.property.*`; crun: `run.oci.*`). Since d67a1c7 an install refuses an
 * image carrying any but `org.opencontainers.image.*`; an image an older box loaded was never
 * judged, and is still the module's image: its next start must refuse it, not run it.
 */

const older = vi.hoisted(() => ({ box: false }));
vi.mock('../../src/core/services/images.js', async (importActual) => {
  const actual = await importActual<typeof import('../../src/core/services/images.js')>();
  return {
    ...actual,
    // An older box's loader: the archive loaded as it is and tagged, annotations unjudged.
    loadImageArchive: async (...args: Parameters<typeof actual.loadImageArchive>) => {
      if (!older.box) return actual.loadImageArchive(...args);
      const [, archive, id, own] = args;
      execFileSync('podman', ['load', '-q', '-i', archive]);
      if (own) execFileSync('podman', ['tag', id, `${own.repo}:${own.tag}`]);
    },
  };
});

/** The libpod URLs the box's engine is asked from now on. */
function engineCalls(box: TestBox): string[] {
  const asked: string[] = [];
  const libpod = box.engine.libpod.bind(box.engine);
  box.engine.libpod = ((method: string, url: string, ...rest: unknown[]) => {
    asked.push(url);
    return (libpod as (...a: unknown[]) => unknown)(method, url, ...rest);
  }) as typeof box.engine.libpod;
  return asked;
}

const boxes: TestBox[] = [];
afterAll(async () => {
  older.box = false;
  for (const b of boxes) await b.cleanup();
});

describe('an image loaded before annotations were judged', () => {
  it('a module whose image carries org.systemd.property.* is refused at every start, and no container runs', async () => {
    const build = annotatedHello({ 'org.systemd.property.CPUWeight': '10000' });
    const box = await makeBox(build);
    boxes.push(box);
    const name = uniqueName('bpt-ann-start');
    older.box = true;
    try {
      await box.install(name);
    } finally {
      older.box = false;
    }
    const deps = { engine: box.engine, root: box.root };
    const refusal = {
      code: 'image-annotations',
      message: expect.stringContaining('org.systemd.property.CPUWeight'),
      hint: expect.stringContaining(`bpkg install ${name} --reinstall`),
    };
    // Refused again the second time: a refusal marks nothing judged.
    await expect(startService(deps, name)).rejects.toMatchObject(refusal);
    await expect(startService(deps, name)).rejects.toMatchObject(refusal);
    expect((await inspectContainer(box.engine, name, box.root))?.State.Running ?? false).toBe(false);
  }, 120_000);

  it('an image with only the OCI base-image annotations starts', async () => {
    const build = annotatedHello({ 'org.opencontainers.image.title': 'hello' });
    const box = await makeBox(build);
    boxes.push(box);
    const name = uniqueName('bpt-ann-plain');
    await box.install(name);
    // Judged at install: a start asks the engine for no image inspect (it walks every image).
    const asked = engineCalls(box);
    const deps = { engine: box.engine, root: box.root };
    expect((await startService(deps, name)).healthy).toBe(true);
    await stopService(deps, name, 1);
    expect((await startService(deps, name)).healthy).toBe(true);
    await stopService(deps, name, 1);
    expect(asked.filter((u) => u.startsWith('/images/'))).toEqual([]);
    expect(asked.some((u) => u.startsWith('/containers/'))).toBe(true);
    expect(await podman('ps', '-q', '--filter', `name=blueprint-${name}`)).toBe('');
  }, 120_000);

  it('an image an older box loaded without such annotations starts, and is inspected at its first start only', async () => {
    const build = annotatedHello({ 'org.opencontainers.image.title': 'hello' });
    const box = await makeBox(build);
    boxes.push(box);
    const name = uniqueName('bpt-ann-older');
    older.box = true;
    try {
      await box.install(name);
    } finally {
      older.box = false;
    }
    const asked = engineCalls(box);
    const deps = { engine: box.engine, root: box.root };
    expect((await startService(deps, name)).healthy).toBe(true);
    await stopService(deps, name, 1);
    expect(asked.filter((u) => u.startsWith('/images/'))).toHaveLength(1);
    expect((await startService(deps, name)).healthy).toBe(true);
    await stopService(deps, name, 1);
    expect(asked.filter((u) => u.startsWith('/images/'))).toHaveLength(1);
  }, 120_000);
});

describe('an image an install judged, made annotated by a refused install', () => {
  it('a package carrying the same image with annotations leaves the installed module no annotated container', async () => {
    const hello = await buildHello();
    const box = await makeBox(hello);
    boxes.push(box);
    const a = uniqueName('bpt-ann-same-a');
    await box.install(a);
    // The same image (its config, so its ID) in an OCI archive whose manifest carries annotations:
    // the engine's load of it gives the image it already has these annotations.
    const dir = tempDir('bp-ann-same-');
    const plain = path.join(dir, 'plain.tar');
    execFileSync('podman', [
      'save',
      '-q',
      '--format',
      'oci-archive',
      '-o',
      plain,
      ownImageTag(a, '1.0.0', box.root),
    ]);
    const tree = path.join(dir, 'tree');
    execFileSync('mkdir', [tree]);
    execFileSync('tar', ['-xf', plain, '-C', tree]);
    const index = JSON.parse(readFileSync(path.join(tree, 'index.json'), 'utf8'));
    const blobs = path.join(tree, 'blobs/sha256');
    const old = index.manifests[0].digest.slice(7) as string;
    const manifest = JSON.parse(readFileSync(path.join(blobs, old), 'utf8'));
    manifest.annotations = { 'org.systemd.property.CPUWeight': '10000' };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(path.join(blobs, digest), bytes);
    renameSync(path.join(blobs, old), path.join(dir, 'old-manifest'));
    index.manifests[0] = {
      ...index.manifests[0],
      digest: `sha256:${digest}`,
      size: bytes.length,
      annotations: {},
    };
    writeFileSync(path.join(tree, 'index.json'), JSON.stringify(index));
    const evil = path.join(dir, 'image.tar');
    execFileSync('tar', ['-cf', evil, '-C', tree, ...readdirSync(tree)]);
    // Installed as package b in the same box: refused at install, as d67a1c7 does.
    const b = uniqueName('bpt-ann-same-b');
    const prefix = path.join(box.root, 'opt/blueprint', b, '1.0.0');
    await mkdir(prefix, { recursive: true });
    await copyFile(evil, path.join(prefix, 'image.tar'));
    const mb = parseManifest({ ...hello.manifest, name: b, version: '1.0.0' });
    imageTagged(ownImageTag(b, '1.0.0', box.root));
    await expect(
      box.hooks.prepare!({ name: b, version: '1.0.0', manifest: mb, prefix }, quietHook()),
    ).rejects.toMatchObject({ code: 'image-annotations' });
    // Module a's next start: refused, or started without the annotation on its container.
    const deps = { engine: box.engine, root: box.root };
    await startService(deps, a).then(
      () => stopService(deps, a, 1),
      (err) => expect(err).toMatchObject({ code: 'image-annotations' }),
    );
    const info = await box.engine
      .libpod<ContainerInfo & { Config: { Annotations?: Record<string, string> } }>(
        'GET',
        `/containers/${containerName(a)}/json`,
      )
      .catch(() => undefined);
    expect(Object.keys(info?.Config.Annotations ?? {})).not.toContain('org.systemd.property.CPUWeight');
  }, 180_000);
});
