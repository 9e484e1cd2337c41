import { spawnSync } from 'node:child_process';
import { constants, existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, NotFoundError, VerificationError } from '../errors.js';
import { packageMtime } from '../pkg/pack-reproducible.js';
import { trackUndo } from '../system/exit-cleanup.js';
import { oneLine } from '../system/one-line.js';
import { shellWord } from '../system/shell-word.js';
import { runTool, ToolFailure } from '../system/tool-output.js';
import { BUILD_MARK_ARG, buildMark, removeMarkedWorkingContainers } from './build-working-containers.js';
import type { Engine } from './engine.js';
import {
  annotatedImage,
  forgetImageJudged,
  markImageJudged,
  oddImageAnnotations,
} from './image-annotations.js';
import { untaggedArchive, writeTar } from './image-archive.js';

/** `sha256:HEX` whichever way the API spelled it. */
export const normalizeImageId = (id: string) => (id.startsWith('sha256:') ? id : `sha256:${id}`);

/**
 * Loads an image archive (docker-archive, as `podman save` writes it) and checks that the image it
 * contains is the one the signed manifest names. The image ID is the hash of the image's config,
 * which names every layer by digest, so it survives save/load while the tar bytes do not.
 * A mismatching image is removed again: nothing unverified stays in the engine.
 */
export async function loadImageArchive(
  engine: Engine,
  archive: string,
  expectedId: string,
  ownTag?: { repo: string; tag: string },
  /** The box's root: the image is marked judged there (image-annotations.ts), once it is. */
  root?: string,
): Promise<void> {
  if (!existsSync(archive))
    throw new VerificationError(`The package has no image archive at ${archive}`, 'image-missing');
  // The engine gets the archive's one image without the tags it names (image-archive.ts: they
  // could move the admin's or another module's); more than one image is refused before loading.
  // O_NONBLOCK: a FIFO put there would otherwise hold the install; image-archive.ts reads only a
  // plain file.
  const fh = await open(archive, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  if (root !== undefined) forgetImageJudged(root, expectedId); // judged again once loaded
  let output: string;
  try {
    const { entries, replaced } = await untaggedArchive(fh, normalizeImageId(expectedId));
    output = await engine.call('loading the image archive', async (signal) => {
      const stream = await (await engine.docker()).loadImage(writeTar(fh, entries, replaced), {
        quiet: true,
        ...(signal ? { abortSignal: signal } : {}),
      });
      let text = '';
      for await (const chunk of stream) text += chunk.toString();
      return text;
    });
  } finally {
    await fh.close();
  }
  const loaded = [...output.matchAll(/Loaded image(?:\(s\))?: ([^\s"\\]+)/g)].flatMap((m) =>
    m[1]!.split(','),
  );
  if (loaded.length === 0)
    // The engine's words (or whatever answers on its socket), on one line and bounded: the front ends
    // keep an error's newlines, and a line of its own under `error:` could be a forged `hint:`.
    throw new VerificationError(
      `The engine loaded no image from ${archive}: ${oneLine(output.slice(0, 500).trim())}`,
      'image-load',
    );
  const ids = await Promise.all(loaded.map((ref) => imageId(engine, ref)));
  if (ids.length === 1 && ids[0] === normalizeImageId(expectedId)) {
    await refuseAnnotated(engine, expectedId);
    if (root !== undefined) markImageJudged(root, expectedId);
    // Untagged, `podman image prune` would take it from a module that is stopped; the module's
    // own tag (what `repo build` names it) keeps it, and is no one else's to lose.
    if (ownTag)
      await engine.libpod(
        'POST',
        `/images/${normalizeImageId(expectedId).slice(7)}/tag?${new URLSearchParams(ownTag)}`,
      );
    return;
  }
  await Promise.all(ids.map((id) => id && removeUntaggedImage(engine, id)));
  throw new VerificationError(
    `The image in ${path.basename(archive)} is ${ids.join(', ')}, but the signed manifest says ${expectedId}`,
    'image-digest-mismatch',
    'The package was tampered with or built wrongly; it was not installed. Rebuild it with `blueprint repo build`.',
  );
}

/**
 * Refuses a just-loaded image carrying annotations the runtime may act on (image-annotations.ts),
 * removing it again.
 */
async function refuseAnnotated(engine: Engine, id: string): Promise<void> {
  const info = await engine.libpod<{ Annotations?: Record<string, string> | null }>(
    'GET',
    `/images/${normalizeImageId(id).slice('sha256:'.length)}/json`,
  );
  const odd = oddImageAnnotations(info?.Annotations);
  if (odd.length === 0) return;
  await removeUntaggedImage(engine, id).catch(() => {});
  throw annotatedImage(odd);
}

/**
 * The ID of an image the load named. Through the libpod call (as the other image reads here), which
 * the command's signal ends, its connection closed, and which has the reads' deadline: dockerode's
 * Image.inspect takes no abortSignal, so a SIGTERM only gave it up, and the request, to an engine
 * that did not answer, held the process after the command was over.
 */
async function imageId(engine: Engine, ref: string): Promise<string | undefined> {
  try {
    const info = await engine.libpod<{ Id: string }>('GET', `/images/${ref}/json`);
    return normalizeImageId(info.Id);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * Removes an image blueprint loaded, unless a tag is still on it: a module's image may be one the
 * admin already had (a public image is anyone's to package, its ID and all), and the engine
 * removes an image by ID with its one tag. Another module's own tag keeps it as well.
 */
export async function removeUntaggedImage(engine: Engine, id: string): Promise<boolean> {
  const info = await engine
    .libpod<{ RepoTags?: string[] | null }>('GET', `/images/${normalizeImageId(id).slice(7)}/json`)
    .catch((err) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
  if (!info || (info.RepoTags ?? []).length > 0) return false;
  return removeImage(engine, id);
}

/** Removes an image; one already gone is fine, one still used by a container is left in place. */
export async function removeImage(engine: Engine, id: string): Promise<boolean> {
  try {
    await engine.call(`removing image ${id}`, async (signal) =>
      (await engine.docker()).getImage(id).remove(signal ? { abortSignal: signal } : {}),
    );
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/** Podman's platform name of a package architecture. */
const PLATFORMS: Record<string, string> = { x86_64: 'linux/amd64', aarch64: 'linux/arm64' };

/**
 * Builds a module's image on the publisher's machine: runs the source's `build.sh` when there is
 * one (e.g. to compile a static binary), `podman build` of its Containerfile (FROM scratch: no
 * registry is needed), then `podman save --format docker-archive` into the payload.
 * `arch` (issue 22): the CPU the image is for, given to build.sh and the Containerfile as
 * BLUEPRINT_ARCH and to Podman as the platform (FROM scratch + COPY: nothing runs emulated).
 * Returns the image ID to record in the manifest that gets signed.
 */
export async function buildModuleImage(
  source: string,
  tag: string,
  archive: string,
  arch?: string,
): Promise<string> {
  // Absolute: build.sh runs with the source as its working directory (`repo build mymod`).
  const dir = path.resolve(source);
  const containerfile = ['Containerfile', 'Dockerfile'].map((f) => path.join(dir, f)).find(existsSync);
  if (!containerfile)
    throw new BlueprintError(
      `${dir} declares a service but has no Containerfile`,
      'no-containerfile',
      'Add a Containerfile (FROM scratch + COPY) next to manifest.json.',
    );
  const step = async (what: string, cmd: string, args: string[]) => {
    try {
      const env = { ...process.env, ...(arch ? { BLUEPRINT_ARCH: arch } : {}) };
      // The tails of its output are kept (system/tool-output.ts): a build.sh may write without end.
      return await runTool(cmd, args, { cwd: dir, env, stdout: true });
    } catch (err) {
      const e = err as ToolFailure;
      throw new BlueprintError(
        `${what} failed: ${e.code === 'ENOENT' ? `${cmd} is not installed` : e instanceof ToolFailure ? e.quoted : e}`,
        'image-build',
        e.code === 'ENOENT'
          ? 'Install Podman: `sudo bash scripts/setup-host.sh`.'
          : what === 'build.sh'
            ? `Fix what its output says; \`sh ${shellWord(path.join(dir, 'build.sh'))}\` runs it alone (repo build runs it before podman build).`
            : undefined,
      );
    }
  };
  // Listed while build.sh runs: on an engine of many images the listing takes a while.
  const timestamp = String(Math.floor(packageMtime().getTime() / 1000)); // a bad value: refused here
  const listing = engineImageIds(); // never rejects
  if (existsSync(path.join(dir, 'build.sh'))) await step('build.sh', 'sh', [path.join(dir, 'build.sh')]);
  // --no-cache: a step is never taken from an earlier build's (an image another build or a box
  // holds). --layers=false: no image committed for each step (useless as a cache under --no-cache),
  // so a build that fails part-way leaves no untagged image that no tag names and nothing removes
  // (test/services/failed-build-leaves-no-image). --timestamp: the image's time and its files'
  // mtimes are SOURCE_DATE_EPOCH (else 0), not the build's, so the same source gives the same image
  // ID and, saved by that ID (no tag in it), the same archive (test/services/module-image-reproducible).
  const target =
    arch && PLATFORMS[arch] ? ['--platform', PLATFORMS[arch], '--build-arg', `BLUEPRINT_ARCH=${arch}`] : [];
  // That ID is then the one every build or box of the same contents has on this engine: the image
  // may be one the engine held before this build (a box's, loaded and not yet given its own tag, or
  // held by a tag: podman build adds this build's tag to it). Such an image only loses this build's
  // tag at the end (ownTagRemoval).
  const before = await listing;
  // The process ended from here on (SIGTERM, a hangup: no finally runs) removes the image this
  // build made, by its tag, this build's own (buildImageTag): whenever the signal comes, before or
  // after podman build tagged it, never another image.
  // Its working containers too, found by a mark of this build's own (build-working-containers.ts).
  let built = false;
  const mark = buildMark();
  const untrackImage = trackUndo((ended) => removeBuiltNow(tag, ended, built, before, mark));
  try {
    const id = (
      await step('podman build', 'podman', [
        'build',
        '-q',
        '--no-cache',
        '--layers=false',
        '--timestamp',
        timestamp,
        ...target,
        '--build-arg',
        `${BUILD_MARK_ARG}=${mark}`,
        '-f',
        containerfile,
        '-t',
        tag,
        dir,
      ])
    ).trim();
    built = true;
    const imageId = normalizeImageId(id.split('\n').pop()!);
    try {
      // By the ID: the archive names no tag (a tag is this build's random one, or another's).
      await step('podman save', 'podman', ['save', '--format', 'docker-archive', '-o', archive, imageId]);
    } finally {
      // The publisher's engine need not keep the image or its layers: installing loads the archive
      // again. Only this build's own tag goes from an image the engine held before (ownTagRemoval).
      await step('podman rmi', 'podman', ownTagRemoval(tag, imageId, before)).catch(() => {});
    }
    return imageId;
  } finally {
    untrackImage();
  }
}

/**
 * The IDs (`sha256:HEX`) of every image on the publisher's engine, tagged or not. Podman 4.3's
 * listing fails when an image goes while it lists ("image not known": a box or build beside this
 * one removed it): tried again. `undefined` when it still fails: every image counts as held then.
 */
async function engineImageIds(): Promise<Set<string> | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const out = await runTool('podman', ['images', '--all', '--quiet', '--no-trunc'], { stdout: true });
      return new Set(out.split('\n').filter(Boolean).map(normalizeImageId));
    } catch {
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  return undefined;
}

/**
 * The podman arguments that take this build's own tag `tag` off the image `id` it names. An image
 * the engine held before the build (`before`: a box's, maybe untagged while it is loaded) is only
 * untagged. Otherwise `podman rmi TAG`: the image with the layers only it holds, or, should another
 * tag name it by now (a box installed the same contents meanwhile), that tag alone (podman removes
 * an image by one of several names by untagging it); one a container uses stays (no --force).
 */
function ownTagRemoval(tag: string, id: string, before: Set<string> | undefined): string[] {
  return heldBefore(id, before) ? ['untag', id, tag] : ['rmi', '--ignore', tag];
}

/** Whether the image `id` was on the engine before the build (unknown, `before` undefined: held). */
function heldBefore(id: string, before: Set<string> | undefined): boolean {
  return before === undefined || before.has(normalizeImageId(id));
}

/**
 * The image tagged `tag` (this build's own tag) removed before the process exits, once `ended` (the
 * tools' groups, podman build's among them, just sent SIGTERM) are gone: a podman build still
 * running could tag it after. By the tag, as ownTagRemoval says (an image the engine held `before`
 * the build keeps everything but this tag). Says what it did, or the command that removes what is
 * left. `built`: podman build had finished. `mark`: its working containers' (removed when it had not).
 */
function removeBuiltNow(
  tag: string,
  ended: number[],
  built: boolean,
  before: Set<string> | undefined,
  mark: string,
): string | undefined {
  const rmi = `podman rmi --ignore ${shellWord(tag)}`;
  if (!waitGone(ended, 10_000))
    return `podman build had not ended: once it has, remove the image it may have built with \`${rmi}\`.`;
  const podmanNow = (args: string[]) =>
    spawnSync('podman', args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
  const inspected = podmanNow(['image', 'inspect', '--format', '{{.Id}}', tag]);
  const id = inspected.status === 0 ? String(inspected.stdout).trim() : '';
  if (id && heldBefore(id, before)) {
    const r = podmanNow(ownTagRemoval(tag, id, before));
    if (r.status !== 0)
      return `Its tag may be left on an image Podman held before: remove the tag with \`podman untag ${shellWord(id)} ${shellWord(tag)}\`.`;
    return `The image it built was one Podman held before: only its tag (${tag}) was taken off.`;
  }
  const r = podmanNow(['rmi', '--ignore', tag]);
  if (r.status !== 0) return `The image it built may be left in Podman: remove it with \`${rmi}\`.`;
  if (/^(Untagged|Deleted):/m.test(String(r.stdout))) return `The image it built (${tag}) was removed.`;
  if (built) return undefined; // removed after the save already
  // Ended before it tagged: its working container (buildah's, what it copies into) is this build's
  // by its mark and removed, with the layer it held. --layers=false commits no image per step, so
  // that was all it made (test/cli/terminate-build-working-container).
  const containers = removeMarkedWorkingContainers(mark);
  if (containers && containers.left.length === 0)
    return containers.removed > 0
      ? 'podman build was ended before it tagged its image: its working container was removed.'
      : 'podman build was ended before it tagged its image; it left no working container.';
  // Not removed (the engine's storage unreadable, `podman rm` refused): said, with how. Buildah's
  // working container is mounted (a plain `podman rm` refuses it).
  const which = containers ? containers.left.map((id) => shellWord(id.slice(0, 12))).join(' ') : 'ID';
  return `podman build was ended before it tagged its image: its working container may be left (\`podman ps --all --external\`, the one created just now); \`podman rm -f ${which}\` removes it.`;
}

/** Whether the processes `pids` (children of this one: a zombie is gone) ended within `ms`. */
function waitGone(pids: number[], ms: number): boolean {
  const end = Date.now() + ms;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const running = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat[stat.lastIndexOf(')') + 2] !== 'Z';
    } catch {
      return false;
    }
  };
  for (const pid of pids)
    while (running(pid))
      if (Date.now() > end) return false;
      else Atomics.wait(nap, 0, 0, 20);
  return true;
}
