/**
 * The data partition's encryption state, read from the real tools' own output (issue 23): pure
 * functions here, the reading of files and commands in ./index.ts. Nothing here is human text.
 */

/** What `cryptsetup luksDump --dump-json-metadata` says that matters to us. */
export interface LuksInfo {
  /** PCRs the systemd-tpm2 token is sealed to (union over tokens); empty without a TPM token. */
  tpm2Pcrs: number[];
  tpm2Enrolled: boolean;
  recoveryKeyEnrolled: boolean;
  /** Key slots no token claims: a passphrase (or a key file) typed or given at unlock. */
  plainSlots: number[];
}

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Parses the JSON LUKS2 metadata; undefined when it is not LUKS2 metadata at all. */
export function parseLuksDump(json: string): LuksInfo | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return undefined;
  }
  const root = asRecord(doc);
  if (!root.keyslots || !root.segments) return undefined;
  const slots = Object.keys(asRecord(root.keyslots))
    .map(Number)
    .filter((n) => Number.isInteger(n));
  const claimed = new Set<number>();
  const pcrs = new Set<number>();
  let tpm2Enrolled = false;
  let recoveryKeyEnrolled = false;
  for (const t of Object.values(asRecord(root.tokens))) {
    const token = asRecord(t);
    const tokenSlots = Array.isArray(token.keyslots) ? token.keyslots.map(Number) : [];
    for (const s of tokenSlots) claimed.add(s);
    if (token.type === 'systemd-tpm2') {
      tpm2Enrolled = true;
      // systemd 252 writes "tpm2-pcrs": [7]; later versions may add a bank or a policy: only numbers count.
      const list = token['tpm2-pcrs'];
      if (Array.isArray(list)) for (const p of list) if (Number.isInteger(p)) pcrs.add(p as number);
    }
    if (token.type === 'systemd-recovery') recoveryKeyEnrolled = true;
  }
  return {
    tpm2Pcrs: [...pcrs].sort((a, b) => a - b),
    tpm2Enrolled,
    recoveryKeyEnrolled,
    plainSlots: slots.filter((s) => !claimed.has(s)).sort((a, b) => a - b),
  };
}

export interface CrypttabEntry {
  name: string;
  device: string;
  keyFile: string;
  options: string[];
}

/** /etc/crypttab (crypttab(5)): name, device, key file, options; # comments and blank lines skipped. */
export function parseCrypttab(text: string): CrypttabEntry[] {
  const out: CrypttabEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [name, device, keyFile = 'none', options = ''] = line.split(/\s+/);
    if (!name || !device) continue;
    out.push({ name, device, keyFile, options: options ? options.split(',') : [] });
  }
  return out;
}

/** The crypttab line for the data volume: the TPM when enrolled, else asked at the console. */
export function crypttabLine(name: string, device: string, tpm2Device?: string): string {
  // luks: refuse anything else; discard: SSD TRIM passes through (it reveals which blocks are free,
  // not their contents); tpm2-device=auto: systemd-cryptsetup tries the TPM token first and asks
  // for a passphrase or the recovery key on the console when the TPM will not unseal.
  const opts = ['luks', 'discard', ...(tpm2Device ? [`tpm2-device=${tpm2Device}`] : [])];
  return `${name} ${device} none ${opts.join(',')}`;
}

/** `text` with the line for `name` replaced (or added): other volumes are left as they were. */
export function withCrypttabLine(text: string, name: string, line: string): string {
  const lines = text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  const kept = lines.filter((l) => l.trim().split(/\s+/)[0] !== name || l.trim().startsWith('#'));
  return `${[...kept, line].join('\n')}\n`;
}

export type UnlockMethod = 'tpm' | 'passphrase' | 'none';

export interface EncryptionState {
  /** The data partition is a LUKS2 volume. */
  encrypted: boolean;
  /**
   * How boot unlocks it as configured: the TPM when a systemd-tpm2 token is enrolled and crypttab
   * asks for `tpm2-device=`, else a passphrase (or the recovery key) typed at the console. Which
   * one opened it this very boot is not recorded by systemd-cryptsetup; `active` says it is open.
   */
  unlockedBy: UnlockMethod;
  active: boolean;
  recoveryKeyEnrolled: boolean;
  tpmPresent: boolean;
  /** PCRs the TPM key is sealed to. */
  pcrs: number[];
  /** The crypttab name and the device (undefined: no crypttab entry and no data partition). */
  name?: string;
  device?: string;
  /**
   * Where a headless setup kept the recovery key (the provisioning's note, RECOVERY_KEY_NOTE: never
   * the key), until the admin moves the key off the box and deletes the note.
   */
  recoveryKeyNote?: string;
}

export interface StateInputs {
  crypttab?: CrypttabEntry;
  luks?: LuksInfo;
  tpmPresent: boolean;
  active: boolean;
  device?: string;
  note?: string;
}

export function encryptionState(i: StateInputs): EncryptionState {
  const tpmConfigured =
    !!i.luks?.tpm2Enrolled && !!i.crypttab?.options.some((o) => o.startsWith('tpm2-device='));
  const unlockedBy: UnlockMethod = !i.luks ? 'none' : tpmConfigured ? 'tpm' : 'passphrase';
  return {
    encrypted: !!i.luks,
    unlockedBy,
    active: i.active,
    recoveryKeyEnrolled: !!i.luks?.recoveryKeyEnrolled,
    tpmPresent: i.tpmPresent,
    pcrs: i.luks?.tpm2Pcrs ?? [],
    ...(i.crypttab ? { name: i.crypttab.name } : {}),
    ...(i.device ? { device: i.device } : {}),
    ...(i.note?.trim() ? { recoveryKeyNote: i.note.trim().split('\n')[0]!.slice(0, 400) } : {}),
  };
}

/** A TPM 2.0 the kernel drives: tpm_version_major is "2" and the resource manager node exists. */
export function tpm2Present(versionMajor: string | undefined, rmNodeExists: boolean): boolean {
  return versionMajor?.trim() === '2' && rmNodeExists;
}

/**
 * The label a data partition carries from encryption (or the plain file system of mode none) until
 * the first boot's data is copied onto it (image/crypt/data-persist sets `data` last): the
 * initramfs boots such a partition in memory again, and a first boot may format it again.
 */
export const UNFINISHED_LABEL = 'data-unfinished';

/** TYPE and LABEL of `blkid -p -o export`. */
export function blkidFields(text: string): { type?: string; label?: string } {
  const field = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1];
  return { type: field('TYPE'), label: field('LABEL') };
}

/**
 * Whether `blkid -p -o export` found the partition blank. Exit 2 is "nothing found"; on a real
 * partition (not a loop device) blkid also reports the partition table's entry for it
 * (PART_ENTRY_*) and exits 0 with no TYPE: still blank. Any other exit (a read error, an
 * ambivalent probe) is never taken for blank.
 */
export function blankProbe(r: { code: number; stdout: string }): boolean {
  if (r.code === 2) return true;
  return r.code === 0 && !/^(TYPE|PTTYPE)=/m.test(r.stdout);
}
