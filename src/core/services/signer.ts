import { readInstalled } from '../pkg/installed-db.js';
import { layout } from '../system/paths.js';
import { registrationAt, writeRegistration } from './registry.js';

/**
 * The key that signed one version of a module, for the security rating's `signed` point: the
 * package database's for the installed version; for another (a container still running the version
 * an upgrade replaced), the signer the database named for it until the upgrade, kept with that
 * version's registration (keepReplacedSigner). null: none recorded.
 */
export async function signerOf(root: string, name: string, version: string): Promise<string | null> {
  // Unreadable (not root's): no signer. Damaged: named with what to do, as bpkg names it.
  const db = await readInstalled(layout(root)).catch((err) => {
    if (err?.code === 'damaged-file') throw err;
    return undefined;
  });
  const entry = db?.packages[name];
  if (entry?.version === version) return entry.signer || null;
  return (await registrationAt(root, name, version).catch(() => undefined))?.signer ?? null;
}

/**
 * Before `version` of NAME is registered (the package transaction's prepare, before its commit):
 * the version the database names now is being replaced (an upgrade, a rollback), and the commit
 * forgets its signer while its container may run on until a restart. Kept with its registration.
 * Best effort: a database or registration that cannot be read keeps nothing.
 */
export async function keepReplacedSigner(root: string, name: string, version: string): Promise<void> {
  const entry = (await readInstalled(layout(root)).catch(() => undefined))?.packages[name];
  if (!entry?.signer || entry.version === version) return;
  const reg = await registrationAt(root, name, entry.version).catch(() => undefined);
  if (reg && reg.signer !== entry.signer) await writeRegistration(root, { ...reg, signer: entry.signer });
}
