// Whether dist/blueprint-arm64 can run here: natively on an Arm machine, or on x86-64 under
// qemu-user through binfmt_misc (scripts/setup-host.sh registers it; the P flag keeps argv0, so a
// child spawned with argv0 `bpkg` gets the bpkg personality as on the box).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
// Not from ../helpers/pkg.js: that reads BLUEPRINT_BIN when it loads, which must come after this.
export const arm64Exe = path.resolve(import.meta.dirname, '../../dist/blueprint-arm64');

/** Why the arm64 executable cannot run here, or null when it can. */
function whyNot(): string | null {
  if (!existsSync(arm64Exe)) return 'dist/blueprint-arm64 is not built: npm run build -- --arch arm64';
  if (process.arch === 'arm64') return null;
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (!existsSync(entry) || !readFileSync(entry, 'utf8').startsWith('enabled'))
    return 'no qemu-aarch64 binfmt_misc entry: run scripts/setup-host.sh as root (qemu-user-static, binfmt-support)';
  if (!existsSync('/usr/lib/aarch64-linux-gnu/libstdc++.so.6'))
    return 'no arm64 libc/libstdc++ for qemu-user: apt-get install libc6:arm64 libstdc++6:arm64';
  return null;
}

export const arm64Skip = whyNot();

/** Why arm64 module images cannot be built and run here (binfmt, cross compilers, Podman), or null. */
function whyNotModules(): string | null {
  const binfmt = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (process.arch !== 'arm64' && !(existsSync(binfmt) && readFileSync(binfmt, 'utf8').startsWith('enabled')))
    return 'no qemu-aarch64 binfmt_misc entry: run scripts/setup-host.sh as root';
  if (!existsSync('/lib/ld-linux-aarch64.so.1'))
    return 'no arm64 libc: apt-get install libc6:arm64 libstdc++6:arm64';
  for (const tool of ['aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-g++', 'podman'])
    if (!['/usr/bin', '/usr/local/bin'].some((d) => existsSync(path.join(d, tool))))
      return `${tool} is missing: run scripts/setup-host.sh as root`;
  return null;
}

// On an Arm machine the aarch64 builds are native: nothing to skip.
export const arm64ModulesSkip = process.arch === 'arm64' ? null : whyNotModules();
if (arm64ModulesSkip && process.env.CI && process.arch !== 'arm64')
  throw new Error(`arm64 module tests cannot run in CI: ${arm64ModulesSkip}`);
// CI's machine is set up by scripts/setup-host.sh: there a skip would hide a broken arm64 build.
if (arm64Skip && process.env.CI) throw new Error(`arm64 tests cannot run in CI: ${arm64Skip}`);
if (arm64Skip) console.warn(`test/arm64 skipped: ${arm64Skip}`);
