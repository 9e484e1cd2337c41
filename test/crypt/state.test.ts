import { describe, expect, it } from 'vitest';
import {
  crypttabDevicePath,
  crypttabLine,
  encryptionState,
  parseCrypttab,
  parseLuksDump,
  tpm2Present,
  withCrypttabLine,
} from '../../src/core/crypt/index.js';

/**
 * A LUKS2 header as `cryptsetup luksDump --dump-json-metadata` prints it after systemd 252's
 * systemd-cryptenroll enrolled a recovery key (slot 1) and a TPM (slot 2). The TPM token cannot be
 * made on this host (no TPM driver in its kernel); its fields are those systemd 252 writes
 * (src/cryptenroll/cryptenroll-tpm2.c): the loop-device test makes the recovery one for real.
 */
const dump = (tokens: Record<string, unknown>, slots = ['1', '2']) =>
  JSON.stringify({
    keyslots: Object.fromEntries(slots.map((s) => [s, { type: 'luks2', key_size: 64 }])),
    tokens,
    segments: { '0': { type: 'crypt' } },
    digests: {},
    config: {},
  });
const tpmToken = {
  type: 'systemd-tpm2',
  keyslots: ['2'],
  'tpm2-blob': 'AJ4AIA==',
  'tpm2-pcrs': [7],
  'tpm2-pcr-bank': 'sha256',
  'tpm2-primary-alg': 'ecc',
  'tpm2-policy-hash': '00ff',
  'tpm2-pin': false,
};
const recoveryToken = { type: 'systemd-recovery', keyslots: ['1'] };

describe('LUKS2 metadata', () => {
  it('finds the TPM token, its PCRs and the recovery key', () => {
    expect(parseLuksDump(dump({ '0': recoveryToken, '1': tpmToken }))).toEqual({
      tpm2Pcrs: [7],
      tpm2Enrolled: true,
      recoveryKeyEnrolled: true,
      plainSlots: [],
    });
  });
  it('a slot no token claims is a passphrase', () => {
    expect(parseLuksDump(dump({ '0': recoveryToken }, ['1', '3']))).toMatchObject({
      tpm2Enrolled: false,
      recoveryKeyEnrolled: true,
      plainSlots: [3],
    });
  });
  it('is undefined for what is not LUKS2 metadata', () => {
    expect(parseLuksDump('not json')).toBeUndefined();
    expect(parseLuksDump('{"a":1}')).toBeUndefined();
  });
});

describe('crypttab', () => {
  it('parses entries, skipping comments', () => {
    expect(
      parseCrypttab('# x\n\ndata UUID=ab none luks,tpm2-device=auto\nswap /dev/sdb2 /dev/urandom swap\n'),
    ).toEqual([
      { name: 'data', device: 'UUID=ab', keyFile: 'none', options: ['luks', 'tpm2-device=auto'] },
      { name: 'swap', device: '/dev/sdb2', keyFile: '/dev/urandom', options: ['swap'] },
    ]);
  });
  it('replaces only the line of its volume', () => {
    const text = '# keep\nswap /dev/sdb2 /dev/urandom swap\ndata UUID=old none luks\n';
    const out = withCrypttabLine(text, 'data', crypttabLine('data', 'UUID=new', 'auto'));
    expect(out).toBe(
      '# keep\nswap /dev/sdb2 /dev/urandom swap\ndata UUID=new none luks,discard,tpm2-device=auto\n',
    );
    expect(withCrypttabLine('', 'data', crypttabLine('data', 'UUID=x'))).toBe(
      'data UUID=x none luks,discard\n',
    );
  });
  it('turns tags into /dev/disk paths', () => {
    expect(crypttabDevicePath('UUID=ab-cd')).toBe('/dev/disk/by-uuid/ab-cd');
    expect(crypttabDevicePath('PARTLABEL=data')).toBe('/dev/disk/by-partlabel/data');
    expect(crypttabDevicePath('/dev/vda4')).toBe('/dev/vda4');
  });
});

describe('state', () => {
  const luks = parseLuksDump(dump({ '0': recoveryToken, '1': tpmToken }))!;
  const tab = parseCrypttab('data UUID=ab none luks,tpm2-device=auto')[0]!;
  it('TPM: enrolled token and crypttab asking for it', () => {
    expect(encryptionState({ crypttab: tab, luks, tpmPresent: true, active: true })).toMatchObject({
      encrypted: true,
      unlockedBy: 'tpm',
      recoveryKeyEnrolled: true,
      pcrs: [7],
      name: 'data',
    });
  });
  it('a TPM token crypttab does not use is a passphrase at boot', () => {
    const plain = parseCrypttab('data UUID=ab none luks')[0]!;
    expect(encryptionState({ crypttab: plain, luks, tpmPresent: true, active: true }).unlockedBy).toBe(
      'passphrase',
    );
  });
  it('not encrypted', () => {
    expect(encryptionState({ tpmPresent: false, active: false })).toMatchObject({
      encrypted: false,
      unlockedBy: 'none',
      recoveryKeyEnrolled: false,
      pcrs: [],
    });
  });
  it('a TPM 2.0 needs version 2 and the resource manager', () => {
    expect(tpm2Present('2\n', true)).toBe(true);
    expect(tpm2Present('1\n', true)).toBe(false);
    expect(tpm2Present('2\n', false)).toBe(false);
    expect(tpm2Present(undefined, true)).toBe(false);
  });
});
