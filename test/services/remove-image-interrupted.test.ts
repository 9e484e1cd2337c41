/**
 * Ctrl-C during `npm start`'s "Removing the last demo box's packages" (the QA24 walk): the removal
 * completed, as it should once committed, but said "warning: vectors: image left in the engine:
 * Interrupted by SIGINT" — the signal had ended the engine read the image's removal starts with
 * (is it still tagged?), so the module's image stayed in the engine, untagged, and nothing said
 * how to remove it. The package is gone by then: its image's removal is the change's own tidying,
 * done whole as the rest of it (a second signal still ends the command at once: cli/index.ts).
 *
 * Here the box's engine answers that read with the interruption, as the command's signal does.
 */
import { expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import type { Engine } from '../../src/core/services/engine.js';
import { createServiceHooks } from '../../src/core/services/hooks.js';
import { findRegistration } from '../../src/core/services/registry.js';
import { emptyFileBox, podman, quietHook, uniqueName } from './helpers.js';

const { box, build } = emptyFileBox();

/** The box's engine, except that reads of an image end as the command's signal ends them. */
function interruptedImageReads(engine: Engine, reads: string[]): Engine {
  return {
    ...engine,
    libpod: ((method, apiPath, opts) => {
      if (method === 'GET' && /^\/images\/[^/]+\/json$/.test(apiPath)) {
        reads.push(apiPath);
        return Promise.reject(new InterruptedError('Interrupted by SIGINT', undefined, 'SIGINT'));
      }
      return engine.libpod(method, apiPath, opts);
    }) as Engine['libpod'],
  };
}

it("a removal the signal reached still removes the module's image, or says how", async () => {
  const name = uniqueName('bpt-rmsig');
  const pkg = await box.install(name);
  const reads: string[] = [];
  const hooks = createServiceHooks({
    root: box.root,
    engine: () => interruptedImageReads(box.engine, reads),
  });
  const hook = quietHook();
  await hooks.afterRemove!(pkg, hook);
  expect(reads.length, 'the interrupted read was made').toBeGreaterThan(0);
  expect(await findRegistration(box.root, name)).toBeUndefined();
  // No "left in the engine" without the way out; here it was removed, so nothing is said at all.
  expect(hook.warnings.filter((w) => /image left in the engine/.test(w))).toEqual([]);
  // The image: gone, or still held by another box's tag (other tests share the hello build).
  const tags = await podman('image', 'inspect', '--format', '{{len .RepoTags}}', build.id).then(
    (out) => Number(out.trim()),
    () => undefined,
  );
  expect(tags === undefined || tags > 0, `untagged image ${build.id} left`).toBe(true);
});

it('left all the same (the engine gone meanwhile), the warning says how to remove it', async () => {
  const name = uniqueName('bpt-rmsig');
  const pkg = await box.install(name);
  const hooks = createServiceHooks({
    root: box.root,
    // The second ask goes to this socket: nothing answers there.
    engine: () => ({ ...interruptedImageReads(box.engine, []), socket: `${box.root}/no-engine.sock` }),
  });
  const hook = quietHook();
  await hooks.afterRemove!(pkg, hook);
  const left = hook.warnings.filter((w) => /image left in the engine/.test(w));
  expect(left, hook.warnings.join('\n')).toHaveLength(1);
  const hex = build.id.replace(/^sha256:/, '');
  expect(left[0]).toContain(`\`podman rmi ${hex}\` removes it`);
  expect(left[0]).toContain(`\`podman image inspect --format '{{.RepoTags}}' ${hex}\` says []`);
});
