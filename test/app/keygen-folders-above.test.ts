import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSigningKey } from '../../src/app/publish.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `blueprint repo keygen --out DIR` judged DIR alone. A user who can change a folder above it (a
 * team's shared /srv/keys, 0777 or writable by a group they are in, not sticky) can rename the key
 * folder away once it is written and put a folder of their own at its name, holding a key pair
 * they made: the publisher then signs with, and hands out as their public key, the attacker's.
 * Like the recovery key (safe-write.ts) and a published repository (publish-folders.ts), the
 * folders above the key's are now judged too: a sticky one (/tmp) is fine, as the owner's own group.
 */

const NOBODY = 65534;
const root = process.geteuid?.() === 0;

const keygen = (out: string) =>
  writeSigningKey(out, 'Test', 'test@example.invalid').then(
    () => 'written',
    (err: { code?: string; message?: string; hint?: string }) => err,
  );

/** A folder `mode` (owner and group given when root) with `keys` to be made in it. */
function under(mode: number, owner?: [number, number]): { shared: string; out: string } {
  const shared = path.join(tempDir(), 'shared');
  mkdirSync(shared);
  if (owner) chownSync(shared, owner[0], owner[1]);
  chmodSync(shared, mode);
  return { shared, out: path.join(shared, 'keys') };
}

describe('repo keygen refuses a key folder that another user could move away and replace', () => {
  it('a folder above it that all may write (not sticky) is refused, and no key is written', async () => {
    const { shared, out } = under(0o777);
    const r = await keygen(out);
    expect(r).toMatchObject({ code: 'unsafe-key-folder', hint: expect.stringMatching(/\S/) });
    expect((r as { message: string }).message).toContain(`${shared} is writable by all users`);
    expect(existsSync(path.join(out, 'signing-key.asc'))).toBe(false);
  });

  it.skipIf(!root)('a folder above it writable by a group not the user’s own is refused', async () => {
    const { shared, out } = under(0o775, [0, NOBODY]);
    const r = await keygen(out);
    expect(r).toMatchObject({ code: 'unsafe-key-folder' });
    expect((r as { message: string }).message).toContain(`writable by group ${NOBODY}`);
    expect(existsSync(path.join(out, 'signing-key.asc'))).toBe(false);
    // What it guards against: a member of that group renaming the written key folder away.
    expect(existsSync(shared)).toBe(true);
  });

  it.skipIf(!root)('a folder above it that another user owns is refused', async () => {
    const { out } = under(0o755, [NOBODY, NOBODY]);
    expect(await keygen(out)).toMatchObject({ code: 'unsafe-key-folder' });
    expect(existsSync(path.join(out, 'signing-key.asc'))).toBe(false);
  });

  it('the folders above a link are the ones judged: a link from a safe place into a shared one is refused', async () => {
    const { shared, out } = under(0o777);
    mkdirSync(out, { mode: 0o700 });
    const link = path.join(tempDir(), 'keys');
    symlinkSync(out, link);
    expect(await keygen(link)).toMatchObject({ code: 'unsafe-key-folder' });
    expect(existsSync(path.join(out, 'signing-key.asc'))).toBe(false);
    expect(existsSync(shared)).toBe(true);
  });

  it('a sticky shared folder (/tmp) above it is fine: others cannot move the key folder there', async () => {
    const { out } = under(0o1777);
    expect(await keygen(out)).toBe('written');
    expect(existsSync(path.join(out, 'signing-key.asc'))).toBe(true);
  });

  it('the user’s own group writing a folder above it is fine (a private user group, umask 002)', async () => {
    const { out } = under(0o775, [process.geteuid?.() ?? 0, process.getegid?.() ?? 0]);
    expect(await keygen(out)).toBe('written');
  });
});
