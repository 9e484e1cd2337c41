/**
 * Buildah's working containers of one `repo build`'s `podman build`, found and removed when the
 * build is ended part-way (SIGTERM, Ctrl-C): podman build 4.x removes its working container only
 * when it runs to its end, so every interrupted build left one (`podman ps --all --external`,
 * mounted: a plain `podman rm` refuses it).
 *
 * Which ones are this build's: podman build is given a build argument of its own, a random mark
 * (BUILD_MARK_ARG); buildah records a build's arguments in its working container's state
 * (buildah.json, beside the container in the engine's storage) from the moment it makes it. Only a
 * container whose state carries this mark is removed: another build's (the admin's, another
 * `repo build` at the same time), interrupted or running, carries none or another. A build argument
 * no ARG line declares changes nothing in the image (same ID, module-image-reproducible).
 * Synchronous: run from the exit-cleanup (system/exit-cleanup.ts), the process exiting next.
 *
 * The podman CLI, no API endpoint: `podman info` (any version), `podman ps --external` (Podman 2.2
 * on; `--storage` before, an unknown flag to older ones and to podman-remote before 3.0) and
 * `podman rm --force`; Debian bookworm's Podman 4.3.1 has them all. Where one is missing, refused
 * or answers nothing usable, or the engine is remote (CONTAINER_HOST, `podman --remote`: info's
 * Host.ServiceIsRemote; its storage is not this machine's), what is left is not known: said so by
 * the caller, with the command that removes it, and the interrupted build ends as it would have
 * (test/services/build-working-containers-engines).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The build argument that marks a build's working containers; its value is buildMark()'s. */
export const BUILD_MARK_ARG = 'BLUEPRINT_BUILD_MARK';

/** A mark of one build, not another's. */
export const buildMark = (): string => randomBytes(12).toString('hex');

const podmanNow = (args: string[]) =>
  spawnSync('podman', args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000, encoding: 'utf8' });

/**
 * Removes the working containers marked `mark` (podman build has ended: nothing uses them). Returns
 * how many were removed and the IDs of those that could not be; `undefined` where the engine's
 * storage could not be read (what is left is then not known).
 */
export function removeMarkedWorkingContainers(mark: string): { removed: number; left: string[] } | undefined {
  const info = podmanNow([
    'info',
    '--format',
    '{{.Store.GraphRoot}}\t{{.Store.GraphDriverName}}\t{{.Host.ServiceIsRemote}}',
  ]);
  const listed = podmanNow(['ps', '--all', '--external', '--quiet', '--no-trunc']);
  if (info.status !== 0 || listed.status !== 0) return undefined;
  const [graphRoot, driver, remote] = info.stdout.trim().split('\t');
  if (!graphRoot || !driver || remote !== 'false') return undefined;
  // The engine's storage elsewhere (a remote engine's graph root names its own machine's folder,
  // which may not be here, or be another engine's): no container's state can be read, which is not
  // "none is this build's".
  const containersDir = path.join(graphRoot, `${driver}-containers`);
  if (!readableDir(containersDir)) return undefined;
  // containers/storage keeps a container's files under DRIVER-containers/ID; buildah its state in
  // userdata/buildah.json (a container Podman runs has none).
  const marked = listed.stdout
    .split('\n')
    .filter((id) => /^[0-9a-f]{64}$/.test(id))
    .filter((id) => {
      try {
        const state = JSON.parse(
          readFileSync(path.join(containersDir, id, 'userdata', 'buildah.json'), 'utf8'),
        ) as { Args?: Record<string, string> | null };
        return state.Args?.[BUILD_MARK_ARG] === mark;
      } catch {
        return false;
      }
    });
  const left = marked.filter((id) => podmanNow(['rm', '--force', id]).status !== 0);
  return { removed: marked.length - left.length, left };
}

function readableDir(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
