import { encryptionSchema } from './schema.js';
import type { Draft, Step } from './wizard-types.js';

/**
 * The wizard's data-encryption steps (issue 23). They show only when the box has a blank data
 * partition to encrypt (`env.encryption`): on an image without one they are skipped and the
 * step count is unchanged. With a TPM 2.0: encrypt, unlocked by the TPM (or n: a passphrase).
 * Without: a passphrase, or, after an explicit yes, no encryption. The recovery key is made when
 * the partition is encrypted (after the summary) and shown then, once.
 */
const passphraseError = (v: string) => {
  const r = encryptionSchema.safeParse({ mode: 'passphrase', passphrase: v });
  return r.success ? undefined : (r.error.issues[0]?.message ?? 'is not valid');
};

export const ENCRYPTION_STEPS: Step[] = [
  {
    id: 'encrypt-tpm',
    title: 'Data encryption',
    kind: 'confirm',
    prompt: () => "Encrypt the data partition, unlocked at boot by this box's TPM 2.0?",
    notes: (_d, env) => [
      `Data partition: ${env.encryption?.device ?? '?'}`,
      'Its models, documents, keys and settings: unreadable from the disk alone.',
      'A recovery key is shown once after setup (also as a QR code): keep it off the box.',
      'n: use a passphrase typed at every boot instead.',
    ],
    skip: (_d, env) => !env.encryption?.tpm,
    accept: async (v, d) => {
      const yes = /^y(es)?$/i.test(v.trim());
      const { passphrase: _, ...rest } = d;
      return { ...rest, encryption: yes ? 'tpm' : 'passphrase' };
    },
  },
  {
    id: 'encrypt-passphrase',
    title: 'Data encryption',
    kind: 'text',
    prompt: () => 'Passphrase for the data partition (asked at every boot); leave empty for no encryption',
    notes: (_d, env) => [
      env.encryption?.tpm
        ? 'The TPM will not unlock it: the passphrase is typed on the console at each boot.'
        : 'No TPM 2.0 found on this box: the data partition can be encrypted with a passphrase instead.',
      'At least 8 characters, printable ASCII: it is typed at boot with the US keyboard layout.',
      'A recovery key is also shown once after setup.',
    ],
    // With a TPM, asked only after the admin said n to it.
    skip: (d, env) => !env.encryption || d.encryption === 'tpm' || (env.encryption.tpm && !d.encryption),
    initial: () => '',
    accept: async (v, d) => {
      if (v === '') {
        const { passphrase: _, ...rest } = d;
        return { ...rest, encryption: 'none' };
      }
      const err = passphraseError(v);
      return err ? `the passphrase ${err}` : { ...d, encryption: 'passphrase', passphrase: v };
    },
  },
  {
    // Typed unseen: a typo would only show at the next boot, as a passphrase that does not open.
    id: 'encrypt-passphrase-again',
    title: 'Data encryption',
    kind: 'text',
    prompt: () => 'The same passphrase again',
    skip: (d, env) => !env.encryption || d.encryption !== 'passphrase',
    initial: () => '',
    accept: async (v, d) =>
      v === d.passphrase ? d : 'the two passphrases differ: type it again (Esc: back to the first)',
  },
  {
    id: 'encrypt-none',
    title: 'Data encryption',
    kind: 'confirm',
    prompt: () => 'Leave the data partition unencrypted? Anyone who takes the disk can read it.',
    notes: () => ['y: no encryption.  n or Esc: back, to type a passphrase.'],
    skip: (d, env) => !env.encryption || d.encryption !== 'none',
    accept: async (v, d: Draft) =>
      /^y(es)?$/i.test(v.trim()) ? d : 'Press Esc to go back and type a passphrase.',
  },
];
