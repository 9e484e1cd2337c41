// node:child_process and node:crypto are taken where used (process.getBuiltinModule), not imported:
// the console's Dashboard reads the encryption state through ./index.js at its first paint on every
// box, and an import loads them at once (the bundle copies a module's exports when it is imported),
// ~10 ms of the paint's CPU (issue 20).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, ConflictError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../system/fs.js';
import { OutputTail, quotedLine } from '../system/tool-output.js';
import {
  blankProbe,
  blkidFields,
  crypttabLine,
  parseCrypttab,
  parseLuksDump,
  UNFINISHED_LABEL,
  withCrypttabLine,
} from './state.js';

/**
 * First-boot encryption of the data partition (issue 23) with the tools Debian 12 ships:
 * cryptsetup luksFormat (LUKS2) with a random key held only in memory, a recovery key made by
 * `systemd-cryptenroll --recovery-key`, then the TPM (sealed to PCR 7) or a passphrase, the random
 * key's slot wiped, and crypttab written last. docs/encryption.md says how the image calls it.
 */

export interface ToolResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a tool; secrets go in through `input` (stdin) or `env`, never argv (visible in ps). */
export interface CryptTools {
  run(argv: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<ToolResult>;
}

/** The tools' answers (luksDump's JSON: a LUKS2 header's metadata is at most 4 MiB); more is not kept. */
const STDOUT_BYTES = 4 * 1024 * 1024;

/** Kept in memory: stdout up to STDOUT_BYTES, of stderr its tail (system/tool-output.ts). */
export const systemTools: CryptTools = {
  run: (argv, opts = {}) =>
    new Promise((resolve, reject) => {
      const child = process.getBuiltinModule('node:child_process').spawn(argv[0]!, argv.slice(1), {
        env: { ...process.env, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let outBytes = 0;
      const err = new OutputTail();
      child.stdout.on('data', (b: Buffer) => {
        if (outBytes >= STDOUT_BYTES) return;
        out.push(b.subarray(0, STDOUT_BYTES - outBytes));
        outBytes += Math.min(b.length, STDOUT_BYTES - outBytes);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => err.push(d));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: String(err), code: code ?? 1 }),
      );
      // A tool that exits without reading stdin (blkid) closes the pipe: its exit code says the rest.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
    }),
};

export type EncryptMode = 'tpm' | 'passphrase';

export interface EncryptOptions {
  /** The block device (the data partition), e.g. /dev/disk/by-partlabel/data. */
  device: string;
  /** The mapping's name in crypttab (/dev/mapper/NAME). */
  name: string;
  mode: EncryptMode;
  /** mode passphrase: what the admin chose (typed at the console at each boot). */
  passphrase?: string;
  /** PCRs the TPM key is sealed to; 7 (the Secure Boot policy) by default, docs/encryption.md says why. */
  pcrs?: number[];
  /**
   * The TPM for systemd-cryptenroll and crypttab: `auto` (the kernel's /dev/tpmrm0) by default;
   * systemd 252 also takes a TCTI as `DRIVER:CONF` (tests use `swtpm:`, a software TPM on TCP).
   */
  tpm2Device?: string;
  /** The crypttab to write (ROOT/etc/crypttab). */
  crypttab: string;
  /** Tests only: a fast PBKDF2 instead of Argon2id's memory-hard default. */
  fastKdf?: boolean;
}

export interface EncryptResult {
  /** Shown once to the admin and never stored by us. */
  recoveryKey: string;
  uuid: string;
  crypttabLine: string;
}

/** systemd's recovery keys: 8 groups of 8 "modhex" letters (systemd-cryptenroll(1)). */
export const RECOVERY_KEY = /^[cbdefghijklnrtuv]{8}(-[cbdefghijklnrtuv]{8}){7}$/;

async function must(tools: CryptTools, argv: string[], opts?: Parameters<CryptTools['run']>[1]) {
  const r = await tools.run(argv, opts);
  if (r.code !== 0)
    throw new BlueprintError(
      `\`${argv.join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-2).map(quotedLine).join(' ')}`,
      'encryption-failed',
      'Nothing was written to crypttab; the partition holds no data yet, so the step can be run again.',
    );
  return r;
}

async function crypttabText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
}

/** Whether crypttab names this LUKS volume (by its UUID or its path): it is in use, not leftover. */
export async function namedInCrypttab(tools: CryptTools, device: string, crypttab: string): Promise<boolean> {
  const uuid = (await must(tools, ['cryptsetup', 'luksUUID', device])).stdout.trim();
  return parseCrypttab(await crypttabText(crypttab)).some(
    (e) => e.device === `UUID=${uuid}` || e.device === device,
  );
}

/**
 * Refuses a device that holds anything, except our own unfinished run: a LUKS volume that no
 * crypttab line names was never given data (data is only put on it after crypttab is written).
 */
async function checkBlank(tools: CryptTools, device: string, crypttab: string): Promise<void> {
  const st = await stat(device).catch(() => undefined);
  if (!st?.isBlockDevice())
    throw new UsageError(
      `${device} is not a block device`,
      'Name the data partition, e.g. /dev/disk/by-partlabel/data.',
    );
  const probe = await tools.run(['blkid', '-p', '-o', 'export', device]);
  if (blankProbe(probe)) return; // nothing found (a partition's own table entry aside)
  const { type, label } = blkidFields(probe.stdout);
  if (type === 'crypto_LUKS') {
    if (!(await namedInCrypttab(tools, device, crypttab))) return;
    throw new ConflictError(
      `${device} is already encrypted and in crypttab`,
      'already-encrypted',
      'Nothing to do: `blueprint status` shows how it is unlocked.',
    );
  }
  // A first boot's plain file system (mode none) whose data was never copied on: nothing to keep.
  if (label === UNFINISHED_LABEL) return;
  throw new ConflictError(
    `${device} already holds ${type ? `a ${type} file system` : 'data'}; it is not encrypted in place`,
    'not-blank',
    'Encryption happens on the blank data partition of a first boot (docs/encryption.md).',
  );
}

export async function encryptDevice(
  o: EncryptOptions,
  tools: CryptTools = systemTools,
): Promise<EncryptResult> {
  if (o.mode === 'passphrase' && !o.passphrase)
    throw new UsageError('mode passphrase needs a passphrase', 'Give encryption.passphrase.');
  const pcrs = o.pcrs ?? [7];
  if (!pcrs.length || pcrs.some((p) => !Number.isInteger(p) || p < 0 || p > 23))
    throw new UsageError(`PCRs must be numbers 0-23, got ${pcrs.join(',')}`);
  // The wizard runs on the console and the serial line at once (QA18): two encryptions of one
  // partition went over each other's header (a key shown that opens nothing, or both failed).
  // One at a time: the second waits, then finds the first's volume in crypttab and is refused.
  // Beside the crypttab both write (the root's etc/): gone once released, a dead holder's taken over.
  const lock = path.join(path.dirname(o.crypttab), '.crypttab.blueprint-lock');
  // Imported here, as node:crypto is (lock.ts takes it): not at the Dashboard's first paint.
  const { acquireLock } = await import('../system/lock.js');
  const release = await acquireLock(lock, 'data partition encryption', { waitMs: 15 * 60_000 });
  try {
    return await encryptLocked(o, pcrs, tools);
  } finally {
    await release();
  }
}

async function encryptLocked(o: EncryptOptions, pcrs: number[], tools: CryptTools): Promise<EncryptResult> {
  await checkBlank(tools, o.device, o.crypttab);
  // Text (hex), because systemd-cryptenroll 252 takes the unlocking secret as $PASSWORD only.
  const key = process.getBuiltinModule('node:crypto').randomBytes(32).toString('hex');
  const kdf = o.fastKdf ? ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000'] : [];
  await must(
    tools,
    [
      'cryptsetup',
      'luksFormat',
      '--type',
      'luks2',
      '--batch-mode',
      // Unfinished until the image's first boot has copied its data on (UNFINISHED_LABEL).
      '--label',
      UNFINISHED_LABEL,
      '--key-slot',
      '0',
      '--key-file',
      '-',
      ...kdf,
      o.device,
    ],
    { input: key },
  );
  const unlock = { PASSWORD: key };
  const rec = await must(tools, ['systemd-cryptenroll', '--recovery-key', o.device], { env: unlock });
  const recoveryKey = rec.stdout.trim();
  if (!RECOVERY_KEY.test(recoveryKey))
    throw new BlueprintError('systemd-cryptenroll printed no recovery key', 'encryption-failed');
  // The lasting unlock method, and the random key's slot wiped in the same call.
  const enrol =
    o.mode === 'tpm'
      ? [`--tpm2-device=${o.tpm2Device ?? 'auto'}`, `--tpm2-pcrs=${pcrs.join('+')}`]
      : ['--password'];
  await must(tools, ['systemd-cryptenroll', ...enrol, '--wipe-slot=0', o.device], {
    env: { ...unlock, ...(o.passphrase && o.mode === 'passphrase' ? { NEWPASSWORD: o.passphrase } : {}) },
  });
  const dump = parseLuksDump(
    (await must(tools, ['cryptsetup', 'luksDump', '--dump-json-metadata', o.device])).stdout,
  );
  if (!dump?.recoveryKeyEnrolled || dump.plainSlots.includes(0) || (o.mode === 'tpm' && !dump.tpm2Enrolled))
    throw new BlueprintError(
      `${o.device}: the enrolled key slots are not what was asked`,
      'encryption-failed',
    );
  const uuid = (await must(tools, ['cryptsetup', 'luksUUID', o.device])).stdout.trim();
  const line = crypttabLine(o.name, `UUID=${uuid}`, o.mode === 'tpm' ? (o.tpm2Device ?? 'auto') : undefined);
  await writeFileAtomic(o.crypttab, withCrypttabLine(await crypttabText(o.crypttab), o.name, line), 0o644);
  return { recoveryKey, uuid, crypttabLine: line };
}
