import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { helloSource, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';
import { imageTagged } from './test-images.js';

/**
 * The hello module's source with its image rebuilt carrying these OCI annotations and saved as an
 * OCI archive (the engine copies an OCI image's annotations onto its containers): the source
 * folder, the archive, the image ID the engine gives it (its config's digest) and the manifest
 * naming it. For test/security/image-annotations*.test.ts.
 */
export function annotatedHello(annotations: Record<string, string>) {
  const dir = tempDir('bp-ann-src-');
  execFileSync('cp', ['-a', `${helloSource}/.`, dir]);
  const tag = `localhost/bp-svc-test/${uniqueName('annotated')}:1`;
  imageTagged(tag);
  execFileSync('podman', [
    'build',
    '-q',
    '--no-cache',
    ...Object.entries(annotations).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]),
    '-t',
    tag,
    dir,
  ]);
  const archive = path.join(tempDir('bp-ann-build-'), 'image.tar');
  execFileSync('podman', ['save', '--format', 'oci-archive', '-o', archive, tag]);
  execFileSync('podman', ['rmi', '-f', tag]);
  // The image ID the engine gives it: its config's digest (index -> manifest -> config).
  const blob = (d: string) =>
    JSON.parse(execFileSync('tar', ['-xOf', archive, `blobs/sha256/${d.slice(7)}`], { encoding: 'utf8' }));
  const index = JSON.parse(execFileSync('tar', ['-xOf', archive, 'index.json'], { encoding: 'utf8' }));
  const id = blob(index.manifests[0].digest).config.digest as string;
  const manifest = JSON.parse(readFileSync(path.join(helloSource, 'manifest.json'), 'utf8'));
  manifest.service.image = { archive: 'image.tar', id };
  return { dir, archive, id, manifest };
}
