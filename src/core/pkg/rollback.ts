import { ConflictError, NotFoundError, VerificationError } from '../errors.js';
import { describeConstraint, newlyBroken } from './constraints.js';
import { showFingerprint } from './fingerprint-text.js';
import { requirements } from './format.js';
import { readFileList, readInstalled } from './installed-db.js';
import { originJudge } from './origin-keys.js';
import type { ManagerParts } from './parts.js';
import { expiredNote, expiredRefusal, expiredSigning } from './signer-expired.js';
import { keptFrom, keptSigning, type RevokedSigning } from './signer-revoked.js';
import { verifyVersion } from './states.js';
import type { Change } from './transaction.js';
import { versionDir } from './transaction.js';

/**
 * Swaps each named package to its other kept version, in one transaction; run under the package
 * lock (PackageManager.rollbackAll). Refused when the result breaks what an installed package
 * needs: the hint names what to roll back together.
 */
export async function rollbackLocked(p: ManagerParts, names: string[]): Promise<Change[]> {
  const db = await readInstalled(p.paths);
  const next = structuredClone(db);
  const changes: Change[] = [];
  const origins = await originJudge(p);
  const notes: string[] = [];
  for (const name of new Set(names)) {
    const pkg = db.packages[name];
    if (!pkg) throw new NotFoundError(`${name} is not installed`, 'See `bpkg list`.');
    if (!pkg.previous)
      throw new NotFoundError(
        `${name} has no previous version to roll back to`,
        `Only an upgraded package keeps a version to roll back to. For an older one a repository offers: \`bpkg info ${name}\` lists them, \`bpkg install ${name}@VERSION\` installs it.`,
        'no-previous',
      );
    // A revoked key's signatures are accepted nowhere on the box, a removed key's neither, and a key
    // trusted for one repository signs nothing of another's (an install of these same bytes from
    // where they came is refused): the version is not made current again either. The key that made
    // the signature: the one its signature, kept with its files, names; without one (an older
    // blueprint's), the primary or the signing subkey installed.json recorded. Where it came from:
    // its own origin, else (a database from before it was kept) the one it is given back here.
    const previous = pkg.previous;
    const kept = await readFileList(p.paths, name, previous).catch(() => undefined);
    const scope = await origins.of(pkg.previousFrom?.origin ?? pkg.origin);
    const record = pkg.previousFrom ?? {};
    const revoked = await keptSigning(origins.keys, record, kept?.signature, name, p.now(), scope).catch(
      (err: unknown) => {
        if (!(err instanceof VerificationError)) throw err;
        throw damagedKept(name, previous, 'its signature, kept with its file list, cannot be read');
      },
    );
    if (revoked)
      throw keptRefused(
        { name, kept: previous, current: pkg.version },
        revoked,
        origins.boundTo,
        scope.allowed,
      );
    // An expired key's signature made before it expired stays good (signer-expired.ts): said once
    // the rollback is done.
    const expired = await expiredSigning(origins.keys, record, kept?.signature, name, p.now());
    if (expired) {
      const refusal = expiredRefusal(name, previous, pkg.version, expired);
      if (refusal) throw refusal;
      notes.push(expiredNote(name, previous, expired));
    }
    const report = await verifyVersion(p, name, pkg.previous);
    if (!report.ok) throw damagedKept(name, pkg.previous);
    // The kept version's own origin and signer (it upgrades from there, its rating is its key's);
    // a database from before they were kept has none: the current ones stay, as they always did,
    // but not the current version's signing key (the kept one's is then not known).
    const { signingKey: _current, ...current } = pkg;
    next.packages[name] = {
      ...current,
      ...pkg.previousFrom,
      version: pkg.previous,
      previous: pkg.version,
      previousFrom: keptFrom(pkg),
      installed: p.now().toISOString(),
    };
    const list = await readFileList(p.paths, name, pkg.previous);
    if (list)
      Object.assign(next.packages[name]!, {
        summary: list.manifest.summary,
        depends: requirements(list.manifest),
      });
    changes.push({ name, from: pkg.version, to: pkg.previous });
  }
  const broken = newlyBroken(db.packages, next.packages);
  if (broken.length) {
    const together = [...new Set([...names, ...broken.flatMap((b) => [b.dependent, b.name])])];
    throw new ConflictError(
      `Rolling back ${names.join(', ')} would break what installed packages need: ${broken.map((b) => describeConstraint(b)).join('; ')}`,
      'dependency-conflict',
      together.every((n) => db.packages[n]?.previous)
        ? `Roll them back together: bpkg rollback ${together.join(' ')}`
        : `Upgrade or remove ${[...new Set(broken.map((b) => b.dependent))].join(', ')} first.`,
    );
  }
  // The hooks' prepare for each version made current, as an install of it: what they made outside
  // its files (a module's image, its service registration) may be gone since the upgrade.
  await p.tx.run('rollback', changes, next, async () => {
    for (const c of changes) {
      const list = c.to && (await readFileList(p.paths, c.name, c.to));
      if (!c.to || !list) continue;
      p.progress({ phase: 'prepare', name: c.name });
      await p.hooks.prepare?.(
        { name: c.name, version: c.to, manifest: list.manifest, prefix: versionDir(p.paths, c.name, c.to) },
        p.hookOpts,
      );
    }
  });
  for (const note of notes) p.hookOpts.warn(note);
  return changes;
}

/** rollbackLocked's refusal of a kept version whose files, or signature (`why`), are not as install left them. */
const damagedKept = (name: string, kept: string, why?: string): VerificationError =>
  new VerificationError(
    `The kept version ${kept} of ${name} is damaged${why ? `: ${why}` : ''}`,
    'damaged',
    `Reinstall it: \`bpkg install ${name}@${kept}\``,
  );

/** What a refusal names: the package, its kept version and the one that stays current. */
type Refused = { name: string; kept: string; current: string };

/**
 * rollbackLocked's refusal of a kept version whose signer is not to be believed now: revoked, or
 * may be (unrecorded), gone from its key, no longer trusted, or not trusted for where it came from
 * (`allowed`: the keys that are; `boundTo`: the repositories a key is trusted for).
 */
function keptRefused(
  v: Refused,
  r: RevokedSigning,
  boundTo: (fpr: string) => string[],
  allowed: string[],
): VerificationError {
  const { name, kept, current } = v;
  const key = `key ${showFingerprint(r.signer)}`;
  const stays = `${name} stays at ${current}.`;
  const another = `For another version signed by a valid key: \`bpkg info ${name}\` lists them, \`bpkg install ${name}@VERSION\` installs one.`;
  if (r.untrusted)
    return new VerificationError(
      `The kept version ${kept} of ${name} is signed by ${key}, which this box no longer trusts: nothing it signs is accepted`,
      'untrusted-signer',
      `${stays} ${another} Only if its publisher still vouches for that key: trust it again (\`bpkg key add FILE --fingerprint ${showFingerprint(r.signer)}\`) and roll back.`,
    );
  if (r.notFor) {
    const bound = boundTo(r.signer);
    const where = bound.length
      ? `trusted for repository ${bound.join(', ')} only`
      : 'trusted for no repository';
    return new VerificationError(
      `The kept version ${kept} of ${name} came from repository ${r.notFor} and is signed by ${key}, which is not a key trusted for repository ${r.notFor} (${where}): a key trusted for one repository signs nothing of another's`,
      'wrong-repository-key',
      `${stays} ${another} Only if the publisher of ${r.notFor} confirms it signs with that key: \`bpkg repo set-key ${r.notFor} ${[...allowed, r.signer].map(showFingerprint).join(' ')}\`.`,
    );
  }
  return keptRevoked(v, r);
}

/** keptRefused's answer for a signing key revoked, or that may be (unrecorded), or gone from its key. */
function keptRevoked({ name, kept, current }: Refused, r: RevokedSigning): VerificationError {
  const key = `key ${showFingerprint(r.signer)}`;
  const stays = `${name} stays at ${current}.`;
  if (r.gone)
    return new VerificationError(
      `The kept version ${kept} of ${name} is signed by ${key}'s subkey ${showFingerprint(r.subkey!)}, which that key no longer has on this box: no trusted key made that signature`,
      'signer-revoked',
      `${stays} For another version signed by a valid key: \`bpkg info ${name}\` lists them, \`bpkg install ${name}@VERSION\` installs one.`,
    );
  if (r.unrecorded)
    return new VerificationError(
      `The kept version ${kept} of ${name} is signed by ${key}, whose signing subkey ${showFingerprint(r.subkey!)} is revoked on this box, and this box did not record which of its keys signed it`,
      'signer-revoked',
      `${stays} \`bpkg install ${name}@${kept}\` checks its signature again and makes it current if a valid key signed it.`,
    );
  return new VerificationError(
    `The kept version ${kept} of ${name} is signed by ${key}${r.subkey ? ` (subkey ${showFingerprint(r.subkey)})` : ''}, revoked on this box: nothing it signs is accepted`,
    'signer-revoked',
    `${stays} For another version signed by a valid key: \`bpkg info ${name}\` lists them, \`bpkg install ${name}@VERSION\` installs one.`,
  );
}
