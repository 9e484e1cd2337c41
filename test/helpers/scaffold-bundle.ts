import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The server of a module made by `blueprint module new` (in `moduleDir`), bundled into `outfile` as
 * its build.sh does, with the esbuild of this checkout.
 */
export async function bundleScaffoldServer(moduleDir: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(moduleDir, 'server/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'error',
  });
}
