import { access, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { atBeneath, isTree, readFileBeneath } from '../system/beneath.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { type CryptTools, namedInCrypttab, systemTools } from './encrypt.js';
import {
  blankProbe,
  blkidFields,
  type CrypttabEntry,
  type EncryptionState,
  encryptionState,
  type LuksInfo,
  parseCrypttab,
  parseLuksDump,
  tpm2Present,
  UNFINISHED_LABEL,
} from './state.js';

export * from './encrypt.js';
export * from './state.js';

/** The data volume's crypttab name and the partition the A/B image gives it (image/rauc/initramfs-data). */
export const DATA_NAME = 'data';
export const DATA_PARTITION = '/dev/disk/by-partlabel/data';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
/**
 * The block device `p` names, as its real path in /dev, or undefined: what crypttab names is read
 * as a partition only then. A tree's crypttab (`--root`) is anyone's: a FIFO it named, or a link
 * to one, was opened by `cryptsetup luksDump` as root, which waited there for good and status with
 * it. Judged where every link leads, and only in /dev (root's), so that what was judged is what
 * cryptsetup opens: a tree's own folder could change between the look and the open.
 */
async function blockDevice(p: string): Promise<string | undefined> {
  const real = await realpath(p).catch(() => undefined);
  if (!real?.startsWith('/dev/')) return undefined;
  const st = await stat(real).catch(() => undefined);
  return st?.isBlockDevice() ? real : undefined;
}

/**
 * A file of the root (crypttab, a sysfs attribute) read as an untrusted file: the root may be a tree
 * being inspected, where a FIFO held status for good (readFile waits for a writer) and a link led
 * out of it. Not a regular file of at most 1 MiB, or not there: undefined.
 */
const readText = async (p: string) => {
  const r = await readBoundedFile(p, 1024 * 1024).catch(() => undefined);
  return r?.ok ? r.bytes.toString('utf8') : undefined;
};

/** A file of the root read from it down through descriptors (no link of a tree followed), 1 MiB. */
const readTreeText = async (root: string, rel: string) => {
  const r = await readFileBeneath(root, rel, 1024 * 1024).catch(() => undefined);
  return r?.ok ? r.bytes.toString('utf8') : undefined;
};

/** The provisioning's note of where a headless setup kept the recovery key (5b17513), under ROOT. */
export const RECOVERY_KEY_NOTE = 'var/lib/blueprint/recovery-key-where';

/**
 * The note's first 1 KiB: a regular file of at most 64 KiB, no link followed, no FIFO or device
 * opened; undefined when there is none (or it is not such a file).
 */
async function readNote(root: string): Promise<string | undefined> {
  // Read from the root down through descriptors and judged before it is opened (beneath.ts):
  // `status` reads any tree, where an open of the name woke a FIFO's writer (a device's driver
  // opened) and TREE/var/lib/blueprint a link out had another note shown as the tree's.
  const r = await readFileBeneath(root, RECOVERY_KEY_NOTE, 64 * 1024).catch(() => undefined);
  return r?.ok ? r.bytes.toString('utf8', 0, Math.min(r.bytes.length, 1024)) : undefined;
}

/** crypttab's device field as a path: UUID=, PARTUUID=, LABEL=, PARTLABEL= or a path. */
export function crypttabDevicePath(field: string): string {
  const m = /^(UUID|PARTUUID|LABEL|PARTLABEL)=(.+)$/.exec(field);
  if (!m) return field;
  return `/dev/disk/by-${m[1]!.toLowerCase()}/${m[2]}`;
}

export async function tpmPresent(root = '/'): Promise<boolean> {
  // The box's own sysfs is made of links (class/tpm/tpm0 -> ../../devices/…), followed as before; a
  // tree's (status reads any) only through its folders' descriptors: TREE/sys or TREE/dev a link
  // out had another machine's TPM shown as the tree's.
  if (isTree(root)) {
    const { lstatSync } = process.getBuiltinModule('node:fs');
    const device = await atBeneath(root, 'dev/tpmrm0', async (at) => lstatSync(at)).catch(() => undefined);
    return tpm2Present(await readTreeText(root, 'sys/class/tpm/tpm0/tpm_version_major'), device?.ok === true);
  }
  return tpm2Present(
    await readText(path.join(root, 'sys/class/tpm/tpm0/tpm_version_major')),
    await exists(path.join(root, 'dev/tpmrm0')),
  );
}

async function luksInfo(tools: CryptTools, device: string): Promise<LuksInfo | undefined> {
  const r = await tools
    .run(['cryptsetup', 'luksDump', '--dump-json-metadata', device])
    .catch(() => undefined);
  return r?.code === 0 ? parseLuksDump(r.stdout) : undefined;
}

export interface StateOptions {
  root?: string;
  /** The data partition when crypttab does not name it. */
  device?: string;
  name?: string;
  tools?: CryptTools;
}

/**
 * The data volume's state on this box: crypttab's line for it (or the data partition), its LUKS2
 * metadata, the TPM. Reading LUKS metadata needs root; without it crypttab alone is reported.
 */
export async function readEncryptionState(o: StateOptions = {}): Promise<EncryptionState> {
  const root = o.root ?? '/';
  const name = o.name ?? DATA_NAME;
  const tools = o.tools ?? systemTools;
  const entry: CrypttabEntry | undefined = parseCrypttab(
    (await readTreeText(root, 'etc/crypttab')) ?? '',
  ).find((e) => e.name === name);
  // Without udev's /dev/disk links (a container, a test) the caller names the partition.
  const named = entry ? crypttabDevicePath(entry.device) : undefined;
  const namedReal = named ? await blockDevice(named) : undefined;
  const device = namedReal ? named! : (o.device ?? DATA_PARTITION);
  const real = namedReal ?? (await blockDevice(device));
  const present = real !== undefined;
  let luks = real ? await luksInfo(tools, real) : undefined;
  if (!luks && entry && entry.options.includes('luks'))
    // Not readable here (not root): crypttab says what boot does.
    luks = {
      tpm2Enrolled: entry.options.some((x) => x.startsWith('tpm2-device=')),
      tpm2Pcrs: [],
      recoveryKeyEnrolled: false,
      plainSlots: [],
    };
  return encryptionState({
    ...(entry ? { crypttab: entry } : {}),
    ...(luks ? { luks } : {}),
    tpmPresent: await tpmPresent(root),
    active: !!entry && (await exists(`/dev/mapper/${name}`)),
    ...(present ? { device } : {}),
    ...(await readNote(root).then((note) => (note ? { note } : {}))),
  });
}

/**
 * The data partition: udev's link, or, while udev is still busy early in a slow boot (the link not
 * made yet), the partition the kernel names `data` (PARTNAME in sysfs), as /dev/NAME.
 */
export async function findDataPartition(link = DATA_PARTITION, sys = '/sys/class/block'): Promise<string> {
  if (await exists(link)) return link;
  return (await namedData(sys))[0] ?? link;
}

/** The block devices the kernel names partitions `data` (PARTNAME in sysfs), as /dev/NAME. */
async function namedData(sys: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(sys).catch(() => [] as string[])) {
    const uevent = await readText(path.join(sys, name, 'uevent'));
    if (uevent && /^PARTNAME=data$/m.test(uevent)) out.push(`/dev/${name}`);
  }
  return out;
}

/**
 * The data partition a first boot may encrypt, or undefined: the setup wizard shows its encryption
 * step only when there is one, and none when two disks have a partition named data. Blank (no
 * file system, no LUKS header), or left by a first boot that never finished copying its data on
 * (UNFINISHED_LABEL) and that this boot's crypttab does not name (once named, this boot encrypted
 * it already).
 */
export async function encryptableDevice(
  device?: string,
  tools: CryptTools = systemTools,
  crypttab = '/etc/crypttab',
  sys = '/sys/class/block',
  link = DATA_PARTITION,
): Promise<string | undefined> {
  if (device === undefined) {
    // Two disks with a partition named data (a USB stick plugged in after boot): either could be
    // the one udev's link names. The initramfs halts such a box at boot; here neither is taken.
    if ((await namedData(sys)).length > 1) return undefined;
    device = await findDataPartition(link, sys);
  }
  if (!(await exists(device))) return undefined;
  const probe = await tools.run(['blkid', '-p', '-o', 'export', device]).catch(() => undefined);
  if (!probe) return undefined;
  if (blankProbe(probe)) return device;
  if (probe.code !== 0) return undefined;
  const { type, label } = blkidFields(probe.stdout);
  if (label !== UNFINISHED_LABEL) return undefined;
  if (type === 'crypto_LUKS' && (await namedInCrypttab(tools, device, crypttab).catch(() => true)))
    return undefined;
  return device;
}
