import path from 'node:path';
import type { EncryptionState } from '../core/crypt/state.js';
import { UsageError } from '../core/errors.js';
import type { EncryptionChoice } from '../core/setup/schema.js';
import type { BoxContext } from './context.js';

export type { EncryptionState } from '../core/crypt/state.js';
export type { EncryptionChoice } from '../core/setup/schema.js';

/** What the first boot may encrypt: the blank data partition and whether a TPM 2.0 can seal its key. */
export interface EncryptionTarget {
  device: string;
  tpm: boolean;
}

export interface EncryptionOutcome {
  mode: EncryptionChoice['mode'];
  device?: string;
  /** Shown once; absent when written to `recoveryKeyFile` or with mode none. */
  recoveryKey?: string;
  recoveryKeyFile?: string;
  /** Encrypted by an earlier run: nothing done, no key shown again. */
  alreadyEncrypted?: boolean;
  /** recoveryKeyFile could not be written: why (the key is then in recoveryKey). */
  writeError?: string;
}

const crypt = () => import('../core/crypt/index.js');
// Only setup's encryption step writes the key file: the dashboards read encryptionState at their
// first paint, and safe-write loads node:crypto (issue 20, TUI first paint).
const keyFile = () => import('../core/setup/recovery-key-file.js');
const secretFile = () => import('../core/system/safe-write.js');

/** The data partition's encryption state (status, the dashboards). Never throws. */
export async function encryptionState(ctx: BoxContext): Promise<EncryptionState> {
  const { readEncryptionState } = await crypt();
  return readEncryptionState({ root: ctx.root });
}

/**
 * The blank data partition of this running box, or undefined (no data partition, one already
 * formatted, or a --root that is not the running system: a partition is encrypted on the box itself).
 */
export async function encryptionTarget(ctx: BoxContext): Promise<EncryptionTarget | undefined> {
  if (ctx.root !== '/') return undefined;
  const { encryptableDevice, tpmPresent } = await crypt();
  const device = await encryptableDevice();
  return device ? { device, tpm: await tpmPresent('/') } : undefined;
}

/**
 * Why this box cannot honour `choice`, or undefined: `target` is its blank data partition (if any),
 * `encrypted` whether the partition is encrypted already (answers applied again: nothing to do).
 */
export function encryptionRefusal(
  choice: EncryptionChoice,
  target: EncryptionTarget | undefined,
  encrypted: boolean,
): UsageError | undefined {
  if (choice.mode === 'none' || (!target && encrypted)) return undefined;
  if (!target)
    return new UsageError(
      `encryption.mode ${choice.mode}: this box has no blank data partition to encrypt`,
      'Encryption happens at first boot on the A/B image; use mode "none" here (docs/encryption.md).',
    );
  if (choice.mode === 'tpm' && !target.tpm)
    return new UsageError(
      'encryption.mode tpm: this box has no TPM 2.0 (/dev/tpmrm0)',
      'Use mode "passphrase" (asked at each boot) or enable the TPM in the firmware.',
    );
  return undefined;
}

/** The partition `choice` would encrypt; throws when this box cannot honour it. */
async function targetFor(ctx: BoxContext, choice: EncryptionChoice): Promise<EncryptionTarget | undefined> {
  if (choice.mode === 'none') return undefined;
  const target = await encryptionTarget(ctx);
  const refusal = encryptionRefusal(choice, target, !target && (await encryptionState(ctx)).encrypted);
  if (refusal) throw refusal;
  return target;
}

/**
 * Refuses a choice this box cannot honour, before setup writes anything: with a partition to
 * encrypt, a recoveryKeyFile that could not be kept (read-only, in memory, another user's folder)
 * too, for the key is written there instead of shown. setup --answers calls it first; the wizard
 * names no file (it shows the key).
 */
export async function checkEncryption(
  ctx: BoxContext,
  choice: EncryptionChoice,
): Promise<EncryptionTarget | undefined> {
  const target = await targetFor(ctx, choice);
  const refusal =
    target &&
    choice.recoveryKeyFile &&
    (await (await keyFile()).recoveryKeyFileRefusal(choice.recoveryKeyFile));
  if (refusal) throw refusal;
  return target;
}

export async function encryptData(ctx: BoxContext, choice: EncryptionChoice): Promise<EncryptionOutcome> {
  // checkEncryption's file judgement is not repeated here: writeSecretFile makes it again as it
  // writes, and a folder that changed since is met by showing the key (below).
  const target = await targetFor(ctx, choice);
  if (choice.mode === 'none') return { mode: 'none' };
  if (!target) return { mode: choice.mode, alreadyEncrypted: true };
  const { encryptDevice, DATA_NAME } = await crypt();
  const r = await encryptDevice({
    device: target.device,
    name: DATA_NAME,
    mode: choice.mode,
    ...(choice.passphrase ? { passphrase: choice.passphrase } : {}),
    crypttab: path.join(ctx.root, 'etc/crypttab'),
  });
  if (!choice.recoveryKeyFile)
    return { mode: choice.mode, device: target.device, recoveryKey: r.recoveryKey };
  try {
    await (await secretFile()).writeSecretFile(choice.recoveryKeyFile, `${r.recoveryKey}\n`);
  } catch (err) {
    // The volume is encrypted already: the key must not be lost with the file, so it is shown.
    return {
      mode: choice.mode,
      device: target.device,
      recoveryKey: r.recoveryKey,
      writeError: (err as Error).message,
    };
  }
  return { mode: choice.mode, device: target.device, recoveryKeyFile: choice.recoveryKeyFile };
}
