/**
 * `repo build` ended (SIGTERM, a hangup) after its `podman build` finished, while `podman save`
 * writes the archive: the image the build made stayed in the publisher's Podman under the build's
 * tag (localhost/blueprint-build/NAME:VERSION), since the removal after the save is a `finally`
 * that never runs when the process is ended. It is removed now, by the ID this build's own
 * `podman build` wrote, and nothing else: an image that tag named before the build stays. That tag
 * is the one boxes installed before the tags were a box's own hold their images by, and a build,
 * interrupted or not, moved it to its own image and removed it with that: the build's tag is now
 * its own. Real Podman: only `podman save` is held (a `podman` first on PATH waits before it), so
 * that the signal comes at that point.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeKey, repoRoot, tempDir } from '../helpers/pkg.js';
import { started } from '../helpers/signalled-build.js';
import { until } from '../helpers/until.js';
import { type EngineLeft, podman, removeLeft, uniqueName } from '../services/helpers.js';

const left: EngineLeft = { containers: [], images: [] };
afterAll(() => removeLeft(left));

async function buildHeldAtSave(sig: NodeJS.Signals | undefined, group = false) {
  const work = tempDir('bp-sig-image-');
  const name = uniqueName('bpt-sigimg');
  const src = path.join(work, name);
  cpSync(path.join(repoRoot, 'modules/hello'), src, {
    recursive: true,
    filter: (f) => !f.includes('/rootfs'),
  });
  const manifest = JSON.parse(readFileSync(path.join(src, 'manifest.json'), 'utf8'));
  writeFileSync(path.join(src, 'manifest.json'), JSON.stringify({ ...manifest, name }));
  const tag = `localhost/blueprint-build/${name}:1.0.0`;
  // An image the build's tag named before it (a box on this engine installed before the tags were
  // a box's own holds its image by that tag): not this build's to remove.
  const pre = path.join(work, 'pre');
  mkdirSync(pre);
  writeFileSync(path.join(pre, 'x'), name);
  writeFileSync(path.join(pre, 'Containerfile'), 'FROM scratch\nCOPY x /x\n');
  const before = (await podman('build', '-q', '--no-cache', '-t', tag, pre)).trim().split('\n').pop()!;
  left.images.push(before);

  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  const saving = path.join(work, 'saving');
  writeFileSync(
    path.join(bin, 'podman'),
    `#!/bin/sh\nif [ "$1" = save ] && [ -n '${sig ?? ''}' ]; then echo "$@" > '${saving}'; sleep 300; fi\nexec /usr/bin/podman "$@"\n`,
  );
  chmodSync(path.join(bin, 'podman'), 0o755);
  const key = await makeKey(path.join(work, 'key'));
  const tmp = path.join(work, 'tmp');
  mkdirSync(tmp);
  const args = ['repo', 'build', src, '--repo', path.join(work, 'repo'), '--key', key.privateFile];
  const b = started(args, { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: tmp }, group);
  if (!sig) return { code: await b.closed, err: b.err, before, tag, built: '', tmpLeft: readdirSync(tmp) };
  await until('podman save runs (or the build ends first)', () => existsSync(saving) || b.exited, 120_000);
  if (!existsSync(saving)) throw new Error(`the build ended before podman save: ${b.err}`);
  // The image this build made: the one podman save was asked for.
  const saved = readFileSync(saving, 'utf8').trim().split(' ').pop()!;
  const built = (await podman('image', 'inspect', '--format', '{{.Id}}', saved)).trim();
  left.images.push(built);
  if (group) process.kill(-b.child.pid!, sig);
  else b.child.kill(sig);
  const code = await b.closed;
  return { code, err: b.err, before, tag, built, tmpLeft: readdirSync(tmp) };
}

/** The image `tag` names now. */
const named = (tag: string) => podman('image', 'inspect', '--format', '{{.Id}}', tag).then((o) => o.trim());

const exists = (id: string) =>
  podman('image', 'exists', id).then(
    () => true,
    () => false,
  );

describe('a build ended after its podman build', () => {
  it('SIGTERM: the image it built is removed, the one its tag named before stays', async () => {
    const r = await buildHeldAtSave('SIGTERM', false);
    expect(r.code, r.err).toBe(143);
    expect(r.built).not.toBe(r.before);
    expect(await exists(r.built)).toBe(false);
    expect(await exists(r.before)).toBe(true);
    expect(await named(r.tag)).toBe(r.before); // the tag was not moved to the build's image
    expect(r.tmpLeft).toEqual([]);
  }, 180_000);

  it('a hangup to its process group: the same', async () => {
    const r = await buildHeldAtSave('SIGHUP', true);
    expect(r.code, r.err).toBe('SIGHUP');
    expect(await exists(r.built)).toBe(false);
    expect(await exists(r.before)).toBe(true);
    expect(r.tmpLeft).toEqual([]);
  }, 180_000);

  // The build tagged its image NAME:VERSION, the tag a box installed before the tags were a box's
  // own holds its image by: moved to the build's image, then removed with it, it left that box's
  // image untagged (podman image prune takes it).
  it('a build run to its end leaves the image NAME:VERSION named before it under that tag', async () => {
    const r = await buildHeldAtSave(undefined);
    expect(r.code, r.err).toBe(0);
    expect(await named(r.tag)).toBe(r.before);
    expect(r.tmpLeft).toEqual([]);
  }, 180_000);
});
