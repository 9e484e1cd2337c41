import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { storageErrorFrom } from '../errors.js';
import { ensureDir, syncDir } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { alive } from '../system/process-alive.js';
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
 * two imports at once end with one key; the folder of a maker killed before its rename is removed
 * by the next import (ensure).
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

  /**
   * Makes the key unless it exists; its fingerprint. First removes the private folders of makers
   * that are gone (killed between mkdir and rename: each holds an unused secret key).
   */
  async ensure(hostname = 'this box'): Promise<string> {
    const parent = path.dirname(this.dir);
    await pruneDeadMakers(parent);
    const have = await this.fingerprint();
    if (have) return have;
    // node:crypto taken here, not imported: `bpkg update` loads this module (the box's keyring
    // leaves the local key out) and never makes the key; the import was ~8 ms of its CPU (issue 20).
    const tmp = path.join(
      parent,
      `.local-key-${process.pid}-${process.getBuiltinModule('node:crypto').randomUUID()}`,
    );
    making.add(path.basename(tmp));
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
      making.delete(path.basename(tmp));
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

/** The private folders this process is making a key in now (by name): never swept. */
const making = new Set<string>();
const MAKER = /^\.local-key-(\d+)-[0-9a-f-]{36}$/;

/**
 * Removes `.local-key-PID-UUID` folders in `parent` whose maker is gone (SIGKILL, power cut), and
 * this process's own pid's that it is not making now (an earlier process of the same pid after a
 * reboot). rm does not follow a link at the name: what one points at stays.
 */
async function pruneDeadMakers(parent: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const pid = Number(MAKER.exec(name)?.[1]);
    if (!(pid > 0)) continue;
    if (pid === process.pid ? making.has(name) : alive(pid)) continue;
    await rm(path.join(parent, name), { recursive: true, force: true }).catch(() => {});
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
