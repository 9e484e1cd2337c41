/**
 * `repo build` ended (SIGTERM, Ctrl-C to its terminal's group) while a real `podman build` copies
 * its files: buildah's working container (`podman ps --all --external`, mounted, `Storage`) was left
 * behind every time (QA24's walk: Ctrl-C during npm start's image builds). The build now removes
 * the working containers of its own podman build, and no other: a working container another build
 * left (the admin's, interrupted the same way) stays. Real Podman, a real podman build held only by
 * the size of what it copies (a 300 MB file of random bytes).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, linkSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeKey, tempDir } from '../helpers/pkg.js';
import { started } from '../helpers/signalled-build.js';
import { until } from '../helpers/until.js';
import { type EngineLeft, helloCopy, podman, removeLeft, uniqueName } from '../services/helpers.js';

const left: EngineLeft = { containers: [], images: [] };
afterAll(() => removeLeft(left));

/** The IDs of every container in the engine's storage, Podman's and buildah's. */
const storageContainers = async () =>
  new Set((await podman('ps', '--all', '--external', '--quiet', '--no-trunc')).split('\n').filter(Boolean));

/** The IDs of the untagged images (layers a build committed and never named). */
const danglingImages = async () =>
  new Set(
    (await podman('images', '--quiet', '--no-trunc', '--filter', 'dangling=true'))
      .split('\n')
      .filter(Boolean),
  );

/** A file of `mib` MiB of random bytes (incompressible: podman build takes seconds to copy it). */
function bigFile(file: string, mib: number) {
  const fd = openSync(file, 'w');
  for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(1 << 20));
  closeSync(fd);
}

/** Waits until a container not in `before` is in storage; returns the new ones. */
async function newContainers(before: Set<string>, done: () => boolean): Promise<string[]> {
  let seen: string[] = [];
  await until(
    'podman build made its working container (or ended first)',
    async () => {
      seen = [...(await storageContainers())].filter((id) => !before.has(id));
      return seen.length > 0 || done();
    },
    120_000,
  );
  return seen;
}

/** A working container another build left: a plain podman build of `big`, ended while it copies. */
async function othersWorkingContainer(work: string, big: string): Promise<string> {
  const dir = path.join(work, 'others');
  mkdirSync(dir);
  linkSync(big, path.join(dir, 'big'));
  writeFileSync(path.join(dir, 'Containerfile'), 'FROM scratch\nCOPY big /big\n');
  const before = await storageContainers();
  const child = spawn('podman', ['build', '-q', '--no-cache', '--layers=false', dir], { stdio: 'ignore' });
  let exited = false;
  const closed = new Promise<void>((r) =>
    child.on('close', () => {
      exited = true;
      r();
    }),
  );
  const seen = await newContainers(before, () => exited);
  child.kill('SIGTERM');
  await closed;
  left.containers.push(...seen);
  expect(seen.length, 'the admin-like build left a working container').toBeGreaterThan(0);
  return seen[0]!;
}

async function buildEndedWhileCopying(sig: NodeJS.Signals, group: boolean) {
  const work = tempDir('bp-sig-wc-');
  const name = uniqueName('bpt-sigwc');
  const src = path.join(work, name);
  helloCopy(src, { name, label: `bp.test.sigwc=${name}` });
  bigFile(path.join(src, 'big'), 300);
  appendFileSync(path.join(src, 'Containerfile'), 'COPY big /big\n');
  const others = await othersWorkingContainer(work, path.join(src, 'big'));
  const key = await makeKey(path.join(work, 'key'));
  const tmp = path.join(work, 'tmp');
  mkdirSync(tmp);
  const before = await storageContainers();
  const danglingBefore = await danglingImages();
  const args = ['repo', 'build', src, '--repo', path.join(work, 'repo'), '--key', key.privateFile];
  const b = started(args, { ...process.env, TMPDIR: tmp }, group);
  const seen = await newContainers(before, () => b.exited);
  left.containers.push(...seen);
  if (b.exited) throw new Error(`the build ended before podman build made its container: ${b.err}`);
  if (group) process.kill(-b.child.pid!, sig);
  else b.child.kill(sig);
  const code = await b.closed;
  const after = await storageContainers();
  const newDangling = [...(await danglingImages())].filter((id) => !danglingBefore.has(id));
  return { code, err: b.err, seen, after, others, newDangling };
}

describe('a build ended while its podman build copies', () => {
  it('SIGTERM: its working container is removed, another build’s stays', async () => {
    const r = await buildEndedWhileCopying('SIGTERM', false);
    expect(r.code, r.err).toBe(143);
    expect(
      r.seen.filter((id) => r.after.has(id)),
      r.err,
    ).toEqual([]);
    expect(r.after.has(r.others), 'the other build’s working container').toBe(true);
    expect(r.err).toContain('its working container was removed');
    expect(r.newDangling, 'no untagged image made by it').toEqual([]);
    expect(r.err).not.toContain('podman rm -f ID');
  }, 240_000);

  it('Ctrl-C to its process group (podman build gets SIGINT too): the same', async () => {
    const r = await buildEndedWhileCopying('SIGINT', true);
    expect(r.code, r.err).toBe(130);
    expect(
      r.seen.filter((id) => r.after.has(id)),
      r.err,
    ).toEqual([]);
    expect(r.after.has(r.others), 'the other build’s working container').toBe(true);
  }, 240_000);
});
