/**
 * `bpkg install NAME --reinstall` of the version installed, whose files on disk still verify,
 * re-activated them without running the package hooks: a module's image gone from the engine
 * (`podman rmi`) stayed gone and a damaged service registration stayed damaged, though both
 * errors (and the image-annotations refusal) name the reinstall as the fix. The hooks' prepare
 * (which loads the image and writes the registration) now runs for a reinstall too.
 */
import { describe, expect, it } from 'vitest';
import { preparedGood } from '../helpers/pkg.js';

describe('reinstall of the installed version', () => {
  it('runs the prepare hook again', async () => {
    const { pm, prepared } = await preparedGood((pkg) => `${pkg.name} ${pkg.version} ${pkg.manifest.name}`);
    expect(prepared).toEqual(['good 1.0.0 good']);
    await pm.install(['good'], { reinstall: true });
    expect(prepared).toEqual(['good 1.0.0 good', 'good 1.0.0 good']);
    expect((await pm.verify('good'))[0]).toMatchObject({ ok: true });
  });
});
