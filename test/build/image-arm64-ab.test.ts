/**
 * `scripts/build-image.sh --arch arm64 --ab` (QA14's walk of docs/arm64.md): the A/B disk is
 * x86-64 only for now (its ESP gets systemd-bootx64.efi, docs/arm64.md "Left"), but the option was
 * taken, so a build ran its hour and more of debootstrap, packages and catalog before failing on a
 * boot loader file an arm64 root does not have. It is refused first, before anything is built.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../setup/temp-registry.js';

const script = path.resolve(import.meta.dirname, '../../scripts/build-image.sh');

it.each([['--ab'], ['--bundle']])('refuses --arch arm64 %s before building anything', async (opt) => {
  const out = path.join(await tempDir('img-arm64-ab'), 'image');
  const r = spawnSync('bash', [script, '--arch', 'arm64', opt, '--out', out], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`build-image: ${opt} is for x86-64 only for now`);
  expect(r.stderr).toMatch(/hint: .*without --ab/);
  expect(existsSync(out)).toBe(false);
});
