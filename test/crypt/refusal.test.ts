import { describe, expect, it } from 'vitest';
import { encryptionRefusal } from '../../src/app/encryption.js';
import { UsageError } from '../../src/core/errors.js';

// What `setup --answers` refuses before writing anything (checkEncryption reads the running box's
// partition and TPM; the decision is this function's, given what it found).
describe('an encryption answer the box cannot honour', () => {
  const blankNoTpm = { device: '/dev/vda4', tpm: false };
  const blankTpm = { device: '/dev/vda4', tpm: true };

  it('tpm on a box without a TPM: refused, with passphrase as the way on', () => {
    const r = encryptionRefusal({ mode: 'tpm' }, blankNoTpm, false);
    expect(r).toBeInstanceOf(UsageError);
    expect(r?.message).toBe('encryption.mode tpm: this box has no TPM 2.0 (/dev/tpmrm0)');
    expect(r?.hint).toMatch(/passphrase/);
  });

  it('without a TPM, a passphrase or an explicit none is taken', () => {
    expect(
      encryptionRefusal({ mode: 'passphrase', passphrase: 'long enough' }, blankNoTpm, false),
    ).toBeUndefined();
    expect(encryptionRefusal({ mode: 'none' }, blankNoTpm, false)).toBeUndefined();
    expect(encryptionRefusal({ mode: 'tpm' }, blankTpm, false)).toBeUndefined();
  });

  it('no blank partition: refused, unless it is encrypted already (answers applied again)', () => {
    expect(encryptionRefusal({ mode: 'tpm' }, undefined, false)?.message).toMatch(/no blank data partition/);
    expect(encryptionRefusal({ mode: 'tpm' }, undefined, true)).toBeUndefined();
    expect(encryptionRefusal({ mode: 'none' }, undefined, false)).toBeUndefined();
  });
});
