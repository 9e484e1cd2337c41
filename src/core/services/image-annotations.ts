import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, VerificationError } from '../errors.js';
import { layout } from '../system/paths.js';
import type { Engine } from './engine.js';
import { ensureDirSync } from './fs-cb.js';

/**
 * An OCI image's annotations are copied by the engine onto every container made from it, and the
 * runtime acts on some (runc: `org.systemd.property.*` on the container's systemd scope, where the
 * engine uses the systemd cgroup manager, and `org.criu.config`; crun: `run.oci.*`): a publisher
 * would set what the sandbox leaves to the box. blueprint's own build (a docker-archive) has none;
 * the OCI base-image ones (`org.opencontainers.image.*`) mean nothing to a runtime. Any other
 * refuses the image.
 *
 * Judged on the image, as it is loaded at install (images.ts), and at start for an image an older
 * box loaded (before d67a1c7), which was never judged and is still the module's image. Each image
 * judged is marked (a file named by its ID under the state folder), so a start costs one stat:
 * the engine's inspect of an image walks every image it stores (80-200 ms with 177 here), and is
 * asked once, at the first start of an image no install judged. Not the container's inspect,
 * which a start asks for anyway: the engine adds annotations of its own there, in the same
 * namespaces (Podman under systemd sets `org.systemd.property.KillSignal` and `TimeoutStopUSec`,
 * with SELinux `run.oci.mount_context_type`), so it cannot tell which came from the image.
 */

const IMAGE_OWN = 'org.opencontainers.image.';

/** The annotations of a module's image that refuse it at install: any but the OCI base-image ones. */
export const oddImageAnnotations = (annotations: Record<string, string> | null | undefined): string[] =>
  Object.keys(annotations ?? {}).filter((k) => !k.startsWith(IMAGE_OWN));

const listed = (keys: string[]) =>
  `${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;

/** The install's refusal (images.ts removes the image again). */
export const annotatedImage = (keys: string[]) =>
  new VerificationError(
    `The module's image carries annotations the container runtime acts on: ${listed(keys)}`,
    'image-annotations',
    'A module image may carry none but org.opencontainers.image.*; it was not installed. Rebuild it with `blueprint repo build`, or report it to its publisher.',
  );

const markOf = (root: string, id: string) => {
  const hex = id.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new VerificationError(`${id} is not an image ID`, 'image-id');
  // Beside the modules' folders, under a name no module can have (module-name.ts).
  return path.join(layout(root).stateDir, 'services', '.images-judged', hex);
};

/** Marks image `id` judged: its annotations were read in this engine and found none to refuse. */
export function markImageJudged(root: string, id: string): void {
  const file = markOf(root, id);
  ensureDirSync(path.dirname(file), 0o700);
  writeFileSync(file, '');
}

/**
 * Takes the mark off before an archive holding image `id` is loaded: the engine gives an image it
 * has the annotations of the manifest loaded last, so a package carrying a public image another
 * module uses, refused at install, would otherwise leave that module's image annotated and marked.
 */
export function forgetImageJudged(root: string, id: string): void {
  rmSync(markOf(root, id), { force: true });
}

/**
 * Refuses to start module `name` when its image carries annotations an install refuses and no
 * install judged it since it was last loaded. An image already judged costs a stat.
 */
export async function judgeImageAtStart(
  engine: Engine,
  root: string,
  name: string,
  id: string,
): Promise<void> {
  if (existsSync(markOf(root, id))) return;
  const info = await engine
    .libpod<{ Annotations?: Record<string, string> | null }>(
      'GET',
      `/images/${markOf(root, id).slice(-64)}/json`,
    )
    .catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
  if (!info) throw (await import('./image-missing.js')).imageMissing(name, id);
  const odd = oddImageAnnotations(info.Annotations);
  if (odd.length > 0)
    throw new VerificationError(
      `${name} was not started: its image carries annotations the container runtime acts on (${listed(odd)}), which no install judged (an older box loaded it, or a refused package holding the same image gave them to it)`,
      'image-annotations',
      `Reinstall it (\`bpkg install ${name} --reinstall\`): its image is judged again as it loads, and refused if it still carries them (its publisher must then rebuild it). Or remove it: \`bpkg remove ${name}\`.`,
    );
  markImageJudged(root, id);
}
