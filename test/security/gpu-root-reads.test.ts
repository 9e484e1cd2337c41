import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { rootedFs } from '../../src/core/gpu/host.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint gpu --root DIR` reads /sys, /proc and /etc/cdi under DIR, a mounted image or another
 * box's tree, whose files are anyone's. They were read with a plain readFile: a FIFO there held
 * the command for good (a writer waiting on it went on), a link to /dev/zero was read until the
 * string could grow no more (~610 MiB more memory at its peak, 8 s), a huge sparse file whole.
 * Now each is judged on an O_PATH descriptor (a regular file only) and read from the descriptor
 * up to a cap, whatever its fstat says (/proc files say 0 bytes, /sys files 4096). And the tree's
 * links are resolved inside it: an absolute link, or one up past the root, led to the host's own
 * file (a root-only one read as a CDI spec, whose errors quote it).
 */
const root = tempDir('bp-gpu-root-reads-');
const at = (p: string) => {
  mkdirSync(dirname(join(root, p)), { recursive: true });
  return join(root, p);
};

/** A FIFO whose writer waits in open(2); `released()` says whether something opened it for reading. */
async function waitingFifo(file: string) {
  execFileSync('mkfifo', [file]);
  const { open } = await import('node:fs/promises');
  let opened = false;
  const writer = open(file, 'w').then((h: FileHandle) => {
    opened = true;
    return h;
  });
  return {
    async released() {
      await Promise.race([writer, delay(1000)]);
      return opened;
    },
    async end() {
      const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      await (await writer).close();
      closeSync(fd);
    },
  };
}

describe('blueprint gpu --root: the tree is read as untrusted files', () => {
  it('a FIFO is not opened (the command would wait on it for good)', async () => {
    const w = await waitingFifo(at('/proc/driver/nvidia/version'));
    const read = rootedFs(root).read('/proc/driver/nvidia/version');
    const released = await w.released();
    // Let a reader that did open it finish, so that the test ends either way.
    await w.end();
    expect(await read).toBeUndefined();
    expect(released, 'the FIFO was opened for reading').toBe(false);
  });

  it('a link to /dev/zero is not read (it was, until hundreds of MiB were taken)', async () => {
    symlinkSync('/dev/zero', at('/sys/module/nvidia/version'));
    const peak = process.resourceUsage().maxRSS;
    expect(await rootedFs(root).read('/sys/module/nvidia/version')).toBeUndefined();
    // maxRSS is the peak, in KiB: no growth of a quarter of a GiB for one small file.
    expect(process.resourceUsage().maxRSS - peak).toBeLessThan(256 * 1024);
  });

  it('a link to another device is refused by its type, not read', async () => {
    symlinkSync('/dev/null', at('/sys/module/amdgpu/version'));
    expect(await rootedFs(root).read('/sys/module/amdgpu/version')).toBeUndefined();
  });

  it.skipIf(process.getuid?.() !== 0)(
    'a device node in the tree (an image mounted with its nodes) is not read',
    async () => {
      // /dev/zero's own numbers, made in the tree: no link to follow, the node itself.
      execFileSync('mknod', [at('/sys/module/nvgpu/version'), 'c', '1', '5']);
      const peak = process.resourceUsage().maxRSS;
      expect(await rootedFs(root).read('/sys/module/nvgpu/version')).toBeUndefined();
      expect(process.resourceUsage().maxRSS - peak).toBeLessThan(256 * 1024);
    },
  );

  it('a regular file past the cap is not read', async () => {
    truncateSync(openAndClose(at('/etc/cdi/huge.yaml')), 16 * 1024 ** 2);
    expect(await rootedFs(root).read('/etc/cdi/huge.yaml')).toBeUndefined();
  });

  it("a link that leads out of the root (absolute, or up past it) is not followed to the host's file", async () => {
    const outside = join(tempDir('bp-gpu-root-outside-'), 'secret.yaml');
    writeFileSync(outside, 'cdiVersion: 0.6.0\nkind: root-only/secret\n', { mode: 0o600 });
    symlinkSync(outside, at('/etc/cdi/absolute.yaml'));
    symlinkSync(`../../../..${outside}`, at('/etc/cdi/upward.yaml'));
    expect(await rootedFs(root).read('/etc/cdi/upward.yaml'), 'the upward link leads out').toBeUndefined();
    expect(await rootedFs(root).read('/etc/cdi/absolute.yaml')).toBeUndefined();
    // A link that stays inside the root is still followed (sysfs is made of them).
    writeFileSync(at('/sys/devices/pci0000:00/0000:01:00.0/vendor'), '0x10de\n');
    symlinkSync('../../devices/pci0000:00/0000:01:00.0', at('/sys/bus/pci/0000:01:00.0'));
    expect(await rootedFs(root).read('/sys/bus/pci/0000:01:00.0/vendor')).toBe('0x10de\n');
  });

  it("list, exists and link do not go through a link out of the root to the host's folders", async () => {
    // Names only, but the host's: which devices, drivers and nodes it has, judged as the tree's.
    const host = tempDir('bp-gpu-root-host-');
    mkdirSync(join(host, 'devices/0000:99:00.0'), { recursive: true });
    writeFileSync(join(host, 'nvidia0'), '');
    symlinkSync('/proc/self', join(host, 'driver'));
    const tree = tempDir('bp-gpu-root-links-');
    const inTree = (p: string) => {
      mkdirSync(dirname(join(tree, p)), { recursive: true });
      return join(tree, p);
    };
    symlinkSync(join(host, 'devices'), inTree('/sys/bus/pci/devices'));
    symlinkSync(`../../../..${host}`, inTree('/sys/class/devfreq'));
    symlinkSync(host, inTree('/dev'));
    symlinkSync(`../..${host}`, inTree('/run/x'));
    const fs = rootedFs(tree);
    expect(await fs.list('/sys/bus/pci/devices'), 'an absolute link').toEqual([]);
    expect(await fs.list('/sys/class/devfreq'), 'a link up past the root').toEqual([]);
    expect(await fs.exists('/dev/nvidia0'), 'through an absolute link').toBe(false);
    expect(await fs.exists('/run/x/nvidia0'), 'through a link up past the root').toBe(false);
    expect(await fs.link('/dev/driver'), 'read through an absolute link').toBeUndefined();
    // Inside the tree, links are still followed (sysfs is made of them); the last name is not.
    mkdirSync(inTree('/sys/devices/pci0000:00/0000:01:00.0/drm/card0'), { recursive: true });
    symlinkSync('../../../devices/pci0000:00/0000:01:00.0', inTree('/sys/bus/pci/inside/0000:01:00.0'));
    symlinkSync('../../../bus/pci/drivers/nvidia', inTree('/sys/devices/pci0000:00/0000:01:00.0/driver'));
    expect(await fs.list('/sys/bus/pci/inside/0000:01:00.0/drm')).toEqual(['card0']);
    expect(await fs.exists('/sys/bus/pci/inside/0000:01:00.0/drm/card0')).toBe(true);
    expect(await fs.exists('/sys/bus/pci/inside/0000:01:00.0/driver'), 'a dangling link is there').toBe(true);
    expect(await fs.link('/sys/bus/pci/inside/0000:01:00.0/driver')).toBe('../../../bus/pci/drivers/nvidia');
    expect(await fs.list('/sys/bus/pci/inside')).toEqual(['0000:01:00.0']);
  });

  it('/proc files, whose fstat says 0 bytes, are still read whole', async () => {
    expect(await rootedFs('/').read('/proc/sys/kernel/osrelease')).toBe(`${release()}\n`);
  });
});

function openAndClose(file: string): string {
  closeSync(openSync(file, 'w'));
  return file;
}
