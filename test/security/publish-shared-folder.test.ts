import { chmodSync, chownSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { builtRepo, serveRegistry, takesEverything } from '../helpers/publish-registry.js';

/**
 * `blueprint repo publish DIR` uploads what DIR's index names, `index.json.asc` and
 * `keys/rotation.json(.asc)` as whatever regular files are at those names. Whoever else can write
 * in DIR (a shared build folder: another user's, or one open to others) needs no race and no
 * link: renaming the publisher's `signing-key.asc` (0600, unreadable to them) to
 * `index.json.asc`, or writing an index that names it as a package, had the publisher upload the
 * private key to the registry or bucket, for them to read there. A repository is now published
 * only from folders no other user can change (DIR and every folder in it; above it, a sticky
 * folder such as /tmp is fine), and a package whose bytes are not what the index says is not sent.
 */

const NOBODY = 65534;
const SECRET = '-----BEGIN PGP PRIVATE KEY BLOCK-----';
let registry: Awaited<ReturnType<typeof serveRegistry>>;
let host = '';
const uploads: Buffer[] = [];

beforeAll(async () => {
  registry = await serveRegistry(takesEverything(uploads));
  host = registry.host;
});
afterAll(() => registry?.close());

/** A built repository with the publisher's private key left in it (0600). */
async function repo() {
  const { dir, key } = await builtRepo();
  writeFileSync(path.join(dir, 'signing-key.asc'), `${SECRET}\n${key.privateKey}`, { mode: 0o600 });
  return dir;
}

const publish = (dir: string) =>
  publishRepository(dir, `oci://${host}/blueprint/modules`).catch((e: unknown) => e);
const leaked = () => uploads.some((b) => b.includes(SECRET));

describe('repo publish from a folder others can change', () => {
  it('a folder open to all (0777): refused before anything is sent', async () => {
    const dir = await repo();
    chmodSync(dir, 0o777);
    // What the other user did: the key, unreadable to them, renamed to a name that goes up.
    renameSync(path.join(dir, 'index.json.asc'), path.join(dir, 'index.json.asc.real'));
    renameSync(path.join(dir, 'signing-key.asc'), path.join(dir, 'index.json.asc'));
    uploads.length = 0;
    const err = await publish(dir);
    expect(leaked()).toBe(false);
    expect(uploads).toEqual([]);
    expect(err).toMatchObject({ code: 'shared-folder', message: expect.stringContaining(dir) });
  });

  it('a folder inside it that others can write (pool/good, 0757): refused', async () => {
    const dir = await repo();
    chmodSync(path.join(dir, 'pool/good'), 0o757);
    uploads.length = 0;
    expect(await publish(dir)).toMatchObject({ code: 'shared-folder' });
    expect(uploads).toEqual([]);
  });

  it.skipIf(process.geteuid?.() !== 0)("another user's folder: refused", async () => {
    const dir = await repo();
    chownSync(dir, NOBODY, NOBODY);
    uploads.length = 0;
    expect(await publish(dir)).toMatchObject({ code: 'shared-folder' });
    expect(uploads).toEqual([]);
  });

  it('a package whose bytes differ from the index (the key at its name) is not sent', async () => {
    const dir = await repo();
    const pkg = path.join(dir, 'pool/good/good_1.0.0_all.bpkg');
    renameSync(path.join(dir, 'signing-key.asc'), pkg);
    uploads.length = 0;
    expect(await publish(dir)).toMatchObject({ code: 'hash-mismatch' });
    expect(leaked()).toBe(false);
  });

  it('a folder of our own is published (control)', async () => {
    uploads.length = 0;
    expect(await publish(await repo())).toMatchObject({ files: expect.any(Array) });
    expect(uploads.length).toBeGreaterThan(0);
    expect(leaked()).toBe(false);
  });
});
