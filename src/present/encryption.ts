import type { EncryptionOutcome, EncryptionState } from '../app/index.js';
import { escapeLine } from './escape.js';

/** The data partition's encryption in one line (status, the TUI dashboard, the web overview). */
export function encryptionLine(s: EncryptionState): string {
  const where = s.device ? ` ${escapeLine(s.device)}` : '';
  if (!s.encrypted)
    return `data partition${where}: not encrypted${s.tpmPresent ? ' (a TPM 2.0 is present)' : ''}`;
  const by =
    s.unlockedBy === 'tpm'
      ? `unlocked by the TPM${s.pcrs.length ? ` (PCR ${s.pcrs.join('+')})` : ''}`
      : 'unlocked by a passphrase at boot';
  return [
    `data partition${where}: encrypted (LUKS2), ${by}`,
    s.recoveryKeyEnrolled ? 'recovery key enrolled' : 'no recovery key enrolled',
    ...(s.active ? [] : ['not open']),
  ].join(', ');
}

/** Where a headless setup kept the recovery key (the box's note), escaped: undefined without one. */
export function recoveryKeyNoteLine(s: EncryptionState): string | undefined {
  return s.recoveryKeyNote === undefined ? undefined : escapeLine(s.recoveryKeyNote);
}

/** The warning printed with a recovery key: it is shown once and nothing else can replace it. */
export const RECOVERY_WARNING = [
  'This recovery key is shown ONCE and is not stored on the box.',
  'Without it, the data on this box is lost if the TPM stops unlocking it',
  '(firmware or Secure Boot settings changed, the disk moved to another machine) or the passphrase is forgotten.',
  'Write it down or scan the QR code, and keep it away from the box.',
  // image/crypt/unlock's prompt, when the TPM refuses (or at each boot of a passphrase box).
  'If the box asks at boot to "type the data partition\'s recovery key", type it as shown, dashes included.',
];

/** What `setup --answers` says after encrypting (the key itself only when it was not written to a file). */
export function encryptionOutcomeText(o: EncryptionOutcome): string {
  if (o.mode === 'none') return 'Data partition: left unencrypted, as the answers say.';
  if (o.alreadyEncrypted)
    return 'Data partition: encrypted already (its recovery key was shown when it was).';
  const head = `Data partition ${escapeLine(o.device ?? '')} encrypted (LUKS2), unlocked by ${o.mode === 'tpm' ? 'the TPM' : 'the passphrase'}.`;
  if (o.recoveryKeyFile)
    return `${head}\nRecovery key written to ${escapeLine(o.recoveryKeyFile)} (root only): move it off the box.`;
  return [
    head,
    ...(o.writeError ? [`Could not write the recovery key file: ${escapeLine(o.writeError)}`] : []),
    `Recovery key: ${escapeLine(o.recoveryKey ?? '')}`,
    ...RECOVERY_WARNING,
  ].join('\n');
}
