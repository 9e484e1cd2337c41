/**
 * `bpkg install MODULE` with the container engine down: the install is refused (exit 6) and rolled
 * back, and the roll-back's clean-up warned 'MODULE: its image … could not be removed (the
 * container engine is not running); it is held by localhost/blueprint-build/…, a tag from an
 * install made before …; once the engine runs, if no other box uses it: podman rm -f … && podman
 * rmi …', about an image the install never loaded: a first-time user whose engine was not started
 * yet was told to remove images by hand. The install now knows its load did not happen, and says
 * only the engine's error and its fix. Real Podman for the repository's build only.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';
import { helloPackageRoot, uniqueName } from './helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

describe('bpkg install with the engine down', () => {
  it.skipIf(!existsSync('/run/podman/podman.sock'))(
    'refuses with the engine error only, no image to remove by hand',
    async () => {
      const name = uniqueName('bpt-instdown');
      const { root } = await helloPackageRoot(name, env);
      const dead = path.join(tempDir('bp-deadsock-'), 'nothing.sock');
      mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
      writeFileSync(
        path.join(root, 'etc/blueprint/config.json'),
        JSON.stringify({ engine: { socket: dead } }),
      );
      const r = await runCliHere(['--root', root, '--yes', 'pkg', 'install', name]);
      expect(r.code).toBe(6);
      expect(r.err).toContain('The container engine is not running');
      expect(r.err).not.toContain('could not be removed');
      expect(r.err).not.toContain('podman rm');
      const list = await runCliHere(['--root', root, '--json', 'pkg', 'list']);
      expect(JSON.parse(list.out)).toEqual([]);
    },
  );
});
