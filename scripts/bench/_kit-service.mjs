/**
 * The embeddings service bundled with another kit server (`bench kit --service-kit DIR`, e.g. the
 * node:http kit from git), so two kits are compared under the same load in the same run. The
 * service's sources and the kit are copied under `work` (inside the repo, so node_modules resolves)
 * with DIR's files in place of modules/kit/server, then bundled as the module's recipe bundles it.
 */
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export async function bundleServiceWithKit(repo, work, kitDir, outFile) {
  const tree = join(work, 'tree');
  cpSync(join(repo, 'modules/embeddings'), join(tree, 'modules/embeddings'), { recursive: true });
  cpSync(join(repo, 'modules/kit'), join(tree, 'modules/kit'), { recursive: true });
  for (const f of readdirSync(kitDir)) cpSync(join(kitDir, f), join(tree, 'modules/kit/server', f));
  // modules/embeddings/package.ts's bundleServer, on the copy (Node does not strip types under
  // node_modules, so its package.ts cannot be imported from there; esbuild bundles it all the same).
  const { bundleModuleServer, requireBanner } = await import('../../modules/kit/image.ts');
  const here = join(tree, 'modules/embeddings');
  await bundleModuleServer(here, outFile, {
    external: ['onnxruntime-node', 'onnxruntime-common'],
    alias: { sharp: join(here, 'server/sharp-stub.ts') },
    banner: requireBanner,
  });
}
