/**
 * The data partition's passphrase (QA14's walk): typed at every boot at the initramfs prompt, where
 * no keyboard map is loaded (the kernel's US layout) and the bytes are whatever the keys give, so
 * a character outside printable 7-bit ASCII typed in the wizard (over a UTF-8 serial line, say) may
 * never be typeable again at the box (cryptsetup(8), "Character encoding"). And "12345678",
 * "aaaaaaaa" or "password" were taken as the key to all the box's data. Both are now refused, in
 * the wizard and in `setup --answers`, before anything is encrypted.
 */
import { describe, expect, it } from 'vitest';
import { ENCRYPTION_STEPS } from '../../src/core/setup/encryption-steps.js';
import { encryptionSchema } from '../../src/core/setup/schema.js';
import type { Draft, WizardEnv } from '../../src/core/setup/wizard.js';

const problem = (passphrase: string) => {
  const r = encryptionSchema.safeParse({ mode: 'passphrase', passphrase });
  return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('the data partition passphrase', () => {
  it('refuses characters the boot prompt may not type: outside printable 7-bit ASCII', () => {
    expect(problem('mot de passé fort')).toMatch(/^passphrase: .*printable ASCII.*US keyboard/);
    expect(problem('Kennwort-für-die-Box')).toMatch(/printable ASCII/);
    expect(problem('пароль-для-коробки')).toMatch(/printable ASCII/);
  });

  it('refuses the trivially guessed: one character, a run, the most used passwords', () => {
    for (const p of [
      'aaaaaaaa',
      '11111111',
      'abababab',
      '12345678',
      '87654321',
      'abcdefghij',
      'password',
      'Password1',
      'qwertyuiop',
      'iloveyou',
    ])
      expect(problem(p), p).toMatch(/^passphrase: is too easy to guess/);
  });

  it('takes an ordinary passphrase, spaces and punctuation included', () => {
    for (const p of ['correct horse battery staple', 'Tr0ub4dor&3-box', 'blue-kettle-47'])
      expect(problem(p), p).toBeUndefined();
  });

  it('the wizard step says the same, before anything is encrypted', async () => {
    const step = ENCRYPTION_STEPS.find((s) => s.id === 'encrypt-passphrase')!;
    const d = {} as Draft;
    const env = { encryption: { device: '/dev/x', tpm: false } } as WizardEnv;
    expect(await step.accept('12345678', d, env)).toMatch(/^the passphrase is too easy to guess/);
    expect(await step.accept('mot de passé fort', d, env)).toMatch(/printable ASCII/);
    expect(step.notes?.(d, env).join(' ')).toMatch(/US keyboard/);
  });
});
