import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeImageId } from '../../src/core/services/images.js';
import { imageTagged } from '../helpers/test-images.js';
import { fileBox, type HelloBuild, helloSource, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/** The hello image with a HEALTHCHECK, built in Docker's format (OCI images have no health check). */
function helloWithHealthcheck(): HelloBuild {
  const dir = tempDir('bp-hc-src-');
  execFileSync('cp', ['-a', `${helloSource}/.`, dir]);
  appendFileSync(path.join(dir, 'Containerfile'), 'HEALTHCHECK --interval=1s CMD ["/hello", "probe"]\n');
  const tag = `localhost/bp-svc-test/${uniqueName('healthcheck')}:1`;
  imageTagged(tag);
  const id = execFileSync('podman', ['build', '-q', '--no-cache', '--format', 'docker', '-t', tag, dir], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!;
  const archive = path.join(tempDir('bp-hc-build-'), 'image.tar');
  execFileSync('podman', ['save', '--format', 'docker-archive', '-o', archive, tag]);
  execFileSync('podman', ['rmi', '-f', tag]);
  const manifest = JSON.parse(readFileSync(path.join(helloSource, 'manifest.json'), 'utf8'));
  manifest.service.image = { archive: 'image.tar', id: normalizeImageId(id) };
  return { dir, archive, id: normalizeImageId(id), manifest };
}

/**
 * A module's health check is the manifest's (`health.http`, probed by blueprint over the socket,
 * on its schedule). An image's HEALTHCHECK is another: Podman runs it itself, from a systemd timer
 * on the host that starts `podman healthcheck run` as root at the image's interval (1 s if it
 * likes), for as long as the container runs, beside the sandbox's CPU and pids limits. Nothing in
 * the manifest shows it and the admin never approved it. Image health checks are now turned off.
 */

const name = uniqueName('bpt-imagehc');
const box = fileBox(helloWithHealthcheck, name, { start: true });

describe("an image's HEALTHCHECK", () => {
  it('is not what the container runs: the engine has no health check for it', async () => {
    const info = await box.engine.libpod<{ Config: { Healthcheck?: { Test?: string[] } } }>(
      'GET',
      `/containers/blueprint-${name}/json`,
    );
    const test = info.Config.Healthcheck?.Test ?? [];
    expect(test.length === 0 || test[0] === 'NONE', JSON.stringify(test)).toBe(true);
  });
});
