import type * as OpenPGP from 'openpgp';
import { VerificationError } from '../errors.js';
import { showFingerprint } from './fingerprint-text.js';
import type { PublicKey } from './signature.js';
import { subkeyRevoked } from './signer-revoked.js';

/** What merging a newer copy of a trusted key changed (each a list of subkey fingerprints, when any). */
export interface KeyChanges {
  /** Subkeys the trusted key certified (their binding signature by it verifies), new to the box. */
  newSubkeys?: string[];
  /** Subkeys revoked by the copy that were not revoked on the box before. */
  revokedSubkeys?: string[];
  /** Subkeys of the copy the trusted key did not certify: left out, never stored (they sign nothing). */
  uncertifiedSubkeys?: string[];
  /** User IDs of the copy the trusted key did not certify: left out (they would be shown as its names). */
  uncertifiedUserIds?: string[];
}

/**
 * The refusal of a key that certified none of the user IDs it carries (every one grafted): no
 * signature it makes verifies. One text for `bpkg key add` (keyring.ts) and the setup wizard's key
 * step, which refuses it there rather than when setup applies.
 */
export function noCertifiedUserIdsError(fingerprint: string): VerificationError {
  return new VerificationError(
    `Key ${showFingerprint(fingerprint)} certified none of its user IDs: no signature it makes verifies`,
    'bad-key',
    'The file is damaged or was put together by someone other than its publisher: get the key from the publisher again; nothing was added.',
  );
}

/**
 * `kept` (the trusted key as the box holds it) with a newer copy of it merged in, as gpg --import
 * merges one: revocations, new self-signatures (an extended expiry), new user IDs and subkeys. A
 * new subkey is taken only when the trusted primary key certified it (a binding signature by it
 * that verifies): a subkey grafted onto a copy by anyone else is left out, so trust never widens
 * to a key the trusted key's holder did not bind; a new user ID likewise (else a copy could rename
 * the key in `bpkg key list`). The rest of the copy (a revocation) still applies. Nothing of `kept`
 * is dropped (OpenPGP.js Key.update merges into it), so a revocation stays.
 */
export async function mergeCopy(
  kept: PublicKey,
  copy: PublicKey,
  now: Date,
): Promise<{ key: PublicKey; changes: KeyChanges }> {
  const known = new Set(kept.subkeys.map((s) => s.getFingerprint()));
  const newSubkeys: string[] = [];
  const uncertifiedSubkeys: string[] = [];
  const fresh = copy.subkeys.filter((s) => !known.has(s.getFingerprint()));
  for (const sub of fresh)
    ((await certifiedBy(copy, sub)) ? newSubkeys : uncertifiedSubkeys).push(sub.getFingerprint());
  copy.subkeys = copy.subkeys.filter((s) => !uncertifiedSubkeys.includes(s.getFingerprint()));
  // OpenPGP.js Subkey.update puts a copy's binding signature in the place of the kept one when both
  // name the same issuer and the copy's is dated later, without verifying it: a re-dated (forged)
  // binding would leave a known subkey with none that verifies. So a known subkey is offered only
  // the copy's bindings that verify (none: the kept ones stay as they are).
  for (const sub of copy.subkeys)
    if (known.has(sub.getFingerprint())) sub.bindingSignatures = await verifiedBindings(copy, sub);
  // A new user ID is shown as the key's name (`bpkg key list`): only one the key itself certified.
  const { users, uncertified: uncertifiedUserIds } = await splitUsers(copy, new Set(kept.getUserIDs()));
  copy.users = users;
  const key = await kept.update(copy, now);
  const wasRevoked = new Set<string>();
  for (const s of kept.subkeys) if (await subkeyRevoked(s, now)) wasRevoked.add(s.getFingerprint());
  const revokedSubkeys: string[] = [];
  for (const s of key.subkeys)
    if (!wasRevoked.has(s.getFingerprint()) && (await subkeyRevoked(s, now)))
      revokedSubkeys.push(s.getFingerprint());
  const changes: KeyChanges = {
    ...(newSubkeys.length ? { newSubkeys } : {}),
    ...(revokedSubkeys.length ? { revokedSubkeys } : {}),
    ...(uncertifiedSubkeys.length ? { uncertifiedSubkeys } : {}),
    ...(uncertifiedUserIds.length ? { uncertifiedUserIds } : {}),
  };
  return { key, changes };
}

/**
 * Takes out of `key` the user IDs it did not certify itself (no self-certification by its primary
 * verifies), as gpg --import skips them, and returns them. Anyone can append a user ID to a public
 * key (bare, or certified by another key): shown beside the fingerprint at `bpkg key add` or in
 * `bpkg key list`, "Debian Archive Key" grafted onto a stranger's key would read as its name.
 */
export async function dropUncertifiedUserIds(key: PublicKey): Promise<string[]> {
  const { users, uncertified } = await splitUsers(key);
  key.users = users;
  return uncertified;
}

/**
 * The user IDs `key` certified itself, `key` unchanged: what the box shows as its names, also of a
 * key an older blueprint kept with every user ID its file carried.
 */
export async function certifiedUserIds(key: PublicKey): Promise<string[]> {
  return (await splitUsers(key)).users.flatMap((user) => user.userID?.userID ?? []);
}

/**
 * `key`'s users, `key` unchanged: those it keeps (a user ID it certified itself, or one of `known`,
 * and any user attribute: a photo names nothing that is shown, kept as OpenPGP.js reads it), and
 * the IDs of the others.
 */
async function splitUsers(
  key: PublicKey,
  known: ReadonlySet<string> = new Set(),
): Promise<{ users: OpenPGP.Key['users']; uncertified: string[] }> {
  const users: OpenPGP.Key['users'] = [];
  const uncertified: string[] = [];
  for (const user of key.users) {
    const id = user.userID?.userID;
    if (id === undefined || known.has(id) || (await userCertified(key, user))) users.push(user);
    else uncertified.push(id);
  }
  return { users, uncertified };
}

/** Whether one of `sub`'s binding signatures is `primary`'s, and verifies (judged as of when it was made). */
async function certifiedBy(primary: PublicKey, sub: OpenPGP.Subkey): Promise<boolean> {
  return (await verifiedBindings(primary, sub, 1)).length > 0;
}

/** `sub`'s binding signatures that are `primary`'s and verify (as of when each was made), at most `most`. */
async function verifiedBindings(
  primary: PublicKey,
  sub: OpenPGP.Subkey,
  most = Number.POSITIVE_INFINITY,
): Promise<OpenPGP.SignaturePacket[]> {
  const pgp = await import('openpgp');
  const binding = pgp.enums.signature.subkeyBinding;
  const bound = { key: primary.keyPacket, bind: sub.keyPacket };
  return verifying(
    sub.bindingSignatures,
    (sig) => sig.verify(primary.keyPacket, binding, bound, sig.created ?? undefined),
    most,
  );
}

/** Whether one of `user`'s self-certifications is `primary`'s, and verifies (as of when it was made). */
async function userCertified(primary: PublicKey, user: OpenPGP.Key['users'][number]): Promise<boolean> {
  const certified = { userID: user.userID, key: primary.keyPacket };
  const good = await verifying(
    user.selfCertifications,
    (sig) => sig.verify(primary.keyPacket, sig.signatureType!, certified, sig.created ?? undefined),
    1,
  );
  return good.length > 0;
}

/** Of `sigs`, in order, the first `most` that `verify` accepts (resolves for). */
async function verifying(
  sigs: OpenPGP.SignaturePacket[],
  verify: (sig: OpenPGP.SignaturePacket) => Promise<unknown>,
  most: number,
): Promise<OpenPGP.SignaturePacket[]> {
  const good: OpenPGP.SignaturePacket[] = [];
  for (const sig of sigs) {
    if (good.length >= most) break;
    try {
      await verify(sig);
      good.push(sig);
    } catch {
      // another key's, damaged, forged, or not of that kind: the next one may be
    }
  }
  return good;
}
