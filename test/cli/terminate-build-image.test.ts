/**
 * `repo build` ended (SIGTERM, a hangup) after its `podman build` finished, while `podman save`
 * writes the archive: the image the build made stayed in the publisher's Podman under the build's
 * tag (localhost/blueprint-build/NAME:VERSION), since the removal after the save is a `finally`
 * that never runs when the process is ended. It is removed now, by the build's own tag
 * (NAME:VERSION.build-RANDOM), once podman build has ended, whenever the signal came (2c19d3f removed
 * it by the ID podman build writes after it tags: a signal between the two left it), and nothing
 * else: an image the tag NAME:VERSION named before the build stays. That tag
 * is the one boxes installed before the tags were a box's own hold their images by, and a build,
 * interrupted or not, moved it to its own image and removed it with that: the build's tag is now
 * its own. Real Podman: only `podman save` or `podman build` is held (a `podman` first on PATH,
 * Hold), so that the signal comes at that point.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModuleImage, normalizeImageId } from '../../src/core/services/images.js';
import { makeKey, tempDir } from '../helpers/pkg.js';
import { started } from '../helpers/signalled-build.js';
import { until } from '../helpers/until.js';
import { type EngineLeft, helloCopy, podman, removeLeft, uniqueName } from '../services/helpers.js';

const left: EngineLeft = { containers: [], images: [] };
afterAll(() => removeLeft(left));

/**
 * How a `podman` first on PATH holds `repo build` for the signal: at `podman save` (it waits before
 * the real one); or in `podman build`, given its arguments less --iidfile and its file (the ID file
 * 2c19d3f's removal read, written by podman after it tagged the image): `tagged`, once the real
 * podman build built and tagged the image (it waits then, as one signalled between its tag and its
 * answer would); `untagged`, before it built anything; `ignoring`, waiting with SIGTERM ignored,
 * the real podman build run once that came (a podman build that tags its image after the signal).
 */
type Hold = 'save' | 'tagged' | 'untagged' | 'ignoring';

const BUILD_ARGS =
  'if [ "$1" = build ]; then t=; a=; for x in "$@"; do if [ "$a" = -t ]; then t=$x; fi; ' +
  'if [ "$a" != --iidfile ] && [ "$x" != --iidfile ]; then set -- "$@" "$x"; fi; a=$x; shift; done; ';

/** The wrapper's lines before it runs the real podman: it writes to `saving` what it holds. */
function held(hold: Hold, saving: string, sig: string): string {
  const said = (what: string) => `echo ${what} > '${saving}.new'; mv '${saving}.new' '${saving}'; `;
  if (hold === 'save') return `if [ "$1" = save ] && [ -n '${sig}' ]; then ${said('"$@"')}sleep 300; fi\n`;
  if (hold === 'untagged') return `${BUILD_ARGS}${said('"$t"')}sleep 300; exit 1; fi\n`;
  if (hold === 'ignoring')
    return `${BUILD_ARGS}trap 'g=1' TERM; ${said('"$t"')}while [ -z "$g" ]; do sleep 0.1; done; /usr/bin/podman "$@" >/dev/null; exit 1; fi\n`;
  return (
    `${BUILD_ARGS}/usr/bin/podman "$@" >/dev/null || exit 1; ` +
    `${said(`"$t $(/usr/bin/podman image inspect --format '{{.Id}}' "$t")"`)}sleep 300; exit 1; fi\n`
  );
}

async function buildHeldAtSave(
  sig: NodeJS.Signals | undefined,
  group = false,
  hold: Hold = 'save',
  /** The image the build makes loaded before it, untagged (a box's install, before its own tag). */
  preload = false,
) {
  const work = tempDir('bp-sig-image-');
  const name = uniqueName('bpt-sigimg');
  const src = path.join(work, name);
  const manifest = helloCopy(src, { name, label: `bp.test.sigimg=${name}` });
  let loaded = '';
  if (preload) {
    const archive = path.join(work, 'pre.tar');
    loaded = await buildModuleImage(src, `localhost/bp-sig-pre/${name}:1`, archive, manifest.arch);
    await podman('load', '-q', '-i', archive);
    left.images.push(loaded);
  }
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
    `#!/bin/sh\n${held(hold, saving, sig ?? '')}exec /usr/bin/podman "$@"\n`,
  );
  chmodSync(path.join(bin, 'podman'), 0o755);
  const key = await makeKey(path.join(work, 'key'));
  const tmp = path.join(work, 'tmp');
  mkdirSync(tmp);
  const args = ['repo', 'build', src, '--repo', path.join(work, 'repo'), '--key', key.privateFile];
  const b = started(args, { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: tmp }, group);
  if (!sig)
    return {
      code: await b.closed,
      err: b.err,
      before,
      loaded,
      tag,
      built: '',
      buildTag: '',
      tmpLeft: readdirSync(tmp),
    };
  await until(
    `podman ${hold} is held (or the build ends first)`,
    () => existsSync(saving) || b.exited,
    120_000,
  );
  if (!existsSync(saving)) throw new Error(`the build ended before podman ${hold}: ${b.err}`);
  // The build's tag (what podman save was asked for, or podman build tagged), and the image it made.
  const words = readFileSync(saving, 'utf8').trim().split(' ');
  const buildTag = hold === 'save' ? words.pop()! : words[0]!;
  let built = hold === 'tagged' ? words[1]! : '';
  if (hold === 'save') built = (await podman('image', 'inspect', '--format', '{{.Id}}', buildTag)).trim();
  left.images.push(...(built ? [built] : []), buildTag);
  if (group) process.kill(-b.child.pid!, sig);
  else b.child.kill(sig);
  const code = await b.closed;
  return { code, err: b.err, before, loaded, tag, built, buildTag, tmpLeft: readdirSync(tmp) };
}

/** The image `tag` names now. */
const named = (tag: string) => podman('image', 'inspect', '--format', '{{.Id}}', tag).then((o) => o.trim());

const exists = (id: string) =>
  podman('image', 'exists', id).then(
    () => true,
    () => false,
  );

describe('a build ended while or after its podman build ran', () => {
  it('SIGTERM: the image it built is removed, the one its tag named before stays', async () => {
    const r = await buildHeldAtSave('SIGTERM', false);
    expect(r.code, r.err).toBe(143);
    expect(r.built).not.toBe(r.before);
    expect(await exists(r.built)).toBe(false);
    expect(await exists(r.before)).toBe(true);
    expect(await named(r.tag)).toBe(r.before); // the tag was not moved to the build's image
    expect(r.tmpLeft).toEqual([]);
  }, 180_000);

  // podman build writes the ID file after it tagged the image: the image the build made stayed when
  // the signal came between the two (2c19d3f's removal read the ID from that file). It is removed by
  // the build's own tag now.
  it('SIGTERM after podman build tagged the image, before it answered: removed all the same', async () => {
    const r = await buildHeldAtSave('SIGTERM', false, 'tagged');
    expect(r.code, r.err).toBe(143);
    expect(r.built).not.toBe(r.before);
    expect(await exists(r.built)).toBe(false);
    expect(await exists(r.buildTag)).toBe(false);
    expect(await named(r.tag)).toBe(r.before);
    expect(r.err).toContain(`The image it built (${r.buildTag}) was removed.`);
    expect(r.tmpLeft).toEqual([]);
  }, 180_000);

  // The image it built is one the engine held before (a box's, loaded and not yet given its own
  // tag: the same contents give the same ID): not the build's to remove, only its tag goes.
  it('SIGTERM after podman build tagged an image the engine held before: only its tag goes', async () => {
    const r = await buildHeldAtSave('SIGTERM', false, 'tagged', true);
    expect(r.code, r.err).toBe(143);
    expect(normalizeImageId(r.built)).toBe(r.loaded);
    expect(await exists(r.built)).toBe(true);
    expect(await exists(r.buildTag)).toBe(false);
    expect(r.err).toContain(`only its tag (${r.buildTag}) was taken off`);
  }, 180_000);

  // A podman build that tags its image after the signal (one that finishes what it does first): the
  // removal waits for it to end, then removes the image; were it not gone in time, the build says
  // the command that removes it.
  it('SIGTERM to a podman build that tags its image after it: removed once it ended', async () => {
    const r = await buildHeldAtSave('SIGTERM', false, 'ignoring');
    expect(r.code, r.err).toBe(143);
    const rmi = `podman rmi --ignore ${r.buildTag}`;
    if (!r.err.includes(rmi)) {
      expect(r.err).toContain(`The image it built (${r.buildTag}) was removed.`);
      expect(await exists(r.buildTag), r.err).toBe(false);
    }
    expect(await exists(r.before)).toBe(true);
  }, 180_000);

  it('SIGTERM before podman build made anything: it says it left no working container', async () => {
    const r = await buildHeldAtSave('SIGTERM', false, 'untagged');
    expect(r.code, r.err).toBe(143);
    expect(r.err).toContain('ended before it tagged its image');
    // Its podman build (held before the real one ran) made no working container: none is left,
    // and it says so (one it made is removed: terminate-build-working-container).
    expect(r.err.replace(/\s+/g, ' ')).toContain('it left no working container');
    expect(await named(r.tag)).toBe(r.before);
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
