import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { storageErrorFrom } from '../errors.js';
import { ensureDir, syncDir } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { localKeyDir } from './local-key-path.js';
import { type PublicKey, readPublicKeys } from './signature.js';
import { generateSigningKey, readPrivateKey, signFileDetached } from './signing.js';

export { LOCAL_ORIGIN } from './local-key-path.js';
/**
 * The box's own signing key, for packages made on this box (`blueprint model import`: a GGUF
 * from a USB stick becomes a signed `model-NAME` package, so it goes through the same checks as
 * any package, at install and at every start).
 *
 * Trust is scoped: this key vouches for local package files only. It is never among the
 * keyring's keys (`Keyring` leaves it out and refuses to add it), so no repository can be bound
 * to it and nothing a repository serves — index or package — is accepted with its signature; a
 * package it signed is installed with origin `local`, which no repository can be named.
 *
 * Kept under ROOT/var/lib/blueprint/local-key/ like SSH's host keys: secret.asc 0600, root only
 * (never copied out, no command prints it), and public.asc 0644, which any user's `bpkg` reads
 * to leave this key out of the keyring. Made on first use, whole or not at all:
 * written into a private folder that is renamed into place, so a crash leaves no half key and
 * two imports at once end with one key.
 */
export class LocalKey {
  readonly dir: string;

  constructor(paths: Layout) {
    this.dir = localKeyDir(paths);
  }

  /** The public key, or undefined before the first import made it. */
  async publicKey(): Promise<PublicKey | undefined> {
    const text = await readNoFollow(path.join(this.dir, 'public.asc'));
    if (text === undefined) return undefined;
    const [key] = await readPublicKeys(text);
    return key;
  }

  async fingerprint(): Promise<string | undefined> {
    return (await this.publicKey())?.getFingerprint();
  }

  /** Makes the key unless it exists; its fingerprint. */
  async ensure(hostname = 'this box'): Promise<string> {
    const have = await this.fingerprint();
    if (have) return have;
    const parent = path.dirname(this.dir);
    // node:crypto taken here, not imported: `bpkg update` loads this module (the box's keyring
    // leaves the local key out) and never makes the key; the import was ~8 ms of its CPU (issue 20).
    const tmp = path.join(
      parent,
      `.local-key-${process.pid}-${process.getBuiltinModule('node:crypto').randomUUID()}`,
    );
    try {
      await ensureDir(parent);
      await mkdir(tmp, { mode: 0o700 });
      await chmod(tmp, 0o700); // whatever the umask
      const k = await generateSigningKey(
        `BlueprintOS local packages (${hostname})`,
        'local@blueprintos.invalid',
      );
      await writeNew(path.join(tmp, 'secret.asc'), k.privateKey, 0o600);
      await writeNew(path.join(tmp, 'public.asc'), k.publicKey, 0o644);
      await chmod(tmp, 0o755); // only now that the secret is in place, root's alone
      // On the disk before a package it signs is installed: lost to a power cut, the box would
      // refuse its own models at start; renamed in with its entries lost, every later import fails.
      await syncDir(tmp);
      await rename(tmp, this.dir).catch(async (err) => {
        // Another process made it first: keep that one.
        if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      });
      await syncDir(parent); // the rename (ours or the other's)
    } catch (err) {
      throw storageErrorFrom(err, 'making the local signing key');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const made = await this.fingerprint();
    if (!made)
      throw storageErrorFrom(new Error('the local key could not be read back'), 'making the local key');
    return made;
  }

  /** An armored detached signature over a file, by this box's key. */
  async sign(file: string): Promise<string> {
    const text = await readNoFollow(path.join(this.dir, 'secret.asc'));
    if (text === undefined) throw storageErrorFrom(new Error('no local key'), 'signing with the local key');
    return signFileDetached(file, await readPrivateKey(text));
  }
}

/** A file's text, never through a symlink; undefined when it does not exist. */
async function readNoFollow(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeNew(file: string, text: string, mode: number): Promise<void> {
  const fh = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
