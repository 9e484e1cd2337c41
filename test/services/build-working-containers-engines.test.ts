/**
 * The removal of an interrupted build's working containers (build-working-containers.ts, LEFTOVERS2)
 * on engines other than this machine's Podman 4.3.1 (BUILDRACE). It asks the podman CLI, no API
 * endpoint: `podman info`, `podman ps --all --external` and `podman rm --force`. A Podman before
 * 2.2 (the flag was `--storage`) and podman-remote before 3.0 answer `--external` with "unknown
 * flag"; a remote engine (CONTAINER_HOST) names a graph root on its own machine. Either way what is
 * left is not known, and must be said so (`undefined`: the build's words then give the command that
 * removes it), never "none was left", and nothing is removed blindly. A stand-in `podman` on PATH
 * plays each engine; the real one is test/cli/terminate-build-working-container.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUILD_MARK_ARG,
  removeMarkedWorkingContainers,
} from '../../src/core/services/build-working-containers.js';
import { tempDir } from '../helpers/pkg.js';

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

const ours = 'a'.repeat(64);
const others = 'b'.repeat(64);

/**
 * A stand-in podman: `info` answers `graphRoot` (overlay) and whether it is a remote client (`remote`),
 * `ps` the two containers or, `old`, fails as Podman 2.1 does; every call is logged.
 */
function fakePodman(graphRoot: string, { old = false, remote = false } = {}) {
  const bin = tempDir('bp-fake-podman-');
  const log = path.join(bin, 'calls');
  writeFileSync(
    path.join(bin, 'podman'),
    `#!/bin/sh
echo "$*" >> '${log}'
case "$1" in
  info) printf '%s\\toverlay\\t%s\\n' '${graphRoot}' ${remote} ;;
  ps) ${old ? `echo 'Error: unknown flag: --external' >&2; exit 125` : `printf '%s\\n%s\\n' ${ours} ${others}`} ;;
  rm) echo "$3" ;;
  *) exit 125 ;;
esac
`,
  );
  chmodSync(path.join(bin, 'podman'), 0o755);
  process.env.PATH = `${bin}:${PATH}`;
  return () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
}

/** An engine's storage holding buildah's state of our build's working container and another's. */
function storage(mark: string): string {
  const root = tempDir('bp-fake-storage-');
  for (const [id, value] of [
    [ours, mark],
    [others, 'another-build'],
  ] as const) {
    const dir = path.join(root, 'overlay-containers', id, 'userdata');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'buildah.json'), JSON.stringify({ Args: { [BUILD_MARK_ARG]: value } }));
  }
  return root;
}

describe('working containers of an interrupted build, by engine', () => {
  it('Podman 4.x on this machine: this build’s is removed, another’s stays', () => {
    const calls = fakePodman(storage('m1'));
    expect(removeMarkedWorkingContainers('m1')).toEqual({ removed: 1, left: [] });
    expect(calls().filter((c) => c.startsWith('rm'))).toEqual([`rm --force ${ours}`]);
  });

  it('a Podman without `ps --external` (before 2.2): not known, nothing removed', () => {
    const calls = fakePodman(storage('m1'), { old: true });
    expect(removeMarkedWorkingContainers('m1')).toBeUndefined();
    expect(calls().filter((c) => c.startsWith('rm'))).toEqual([]);
  });

  it('a remote engine (its graph root not on this machine): not known, not "none left"', () => {
    const calls = fakePodman(path.join(tempDir('bp-no-storage-'), 'var/lib/containers/storage'));
    expect(removeMarkedWorkingContainers('m1')).toBeUndefined();
    expect(calls().filter((c) => c.startsWith('rm'))).toEqual([]);
  });

  it('a remote engine whose graph root is a folder here too (this machine’s own engine’s): not known', () => {
    const calls = fakePodman(storage('m1'), { remote: true });
    expect(removeMarkedWorkingContainers('m1')).toBeUndefined();
    expect(calls().filter((c) => c.startsWith('rm'))).toEqual([]);
  });

  it('no podman at all: not known', () => {
    process.env.PATH = tempDir('bp-empty-path-');
    expect(removeMarkedWorkingContainers('m1')).toBeUndefined();
  });
});
