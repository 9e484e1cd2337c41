import { mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { builtRepo, serveRegistry, takesEverything } from '../helpers/publish-registry.js';

/**
 * `blueprint repo publish DIR` checked that each file was a regular file (not a link), then
 * hashed it by its name and uploaded it by its name again: two more opens, both following links.
 * Whoever can write in DIR (a shared build folder) could put a link at a package's name after the
 * check: the publisher's upload sent the file it points to (here during the registry's HEAD
 * round trip, so the test needs no race; before the hash, the registry would even accept it), and
 * a link to a folder on the way (`pool/good -> elsewhere`) was followed without any check. Each
 * file is now opened once, without following links, judged where it really is, and hashed and
 * uploaded from that one descriptor. (Since then a folder another user can change is refused
 * outright: publish-shared-folder.test.ts. The swaps here are made by the test as the publisher,
 * and hold the read-once behaviour itself.)
 */

const SECRET = 'PRIVATE KEY of the publisher';
let registry: Awaited<ReturnType<typeof serveRegistry>>;
let host = '';
/** Bodies of the blob uploads the registry received. */
const uploads: Buffer[] = [];
let onFirstHead: (() => void) | undefined;

beforeAll(async () => {
  registry = await serveRegistry(
    takesEverything(uploads, () => {
      const swap = onFirstHead;
      onFirstHead = undefined;
      swap?.();
    }),
  );
  host = registry.host;
});
afterAll(() => registry?.close());

async function repo() {
  const { base, dir } = await builtRepo();
  const pkg = path.join(dir, 'pool/good/good_1.0.0_all.bpkg');
  // The publisher's secret, padded to the package's size (the upload's length is the package's).
  const secret = path.join(base, 'private', 'good_1.0.0_all.bpkg');
  mkdirSync(path.dirname(secret));
  writeFileSync(secret, SECRET.padEnd(statSync(pkg).size, '.'));
  return { dir, pkg, secret };
}

const leaked = () => uploads.some((b) => b.includes(SECRET));

describe('repo publish from a folder another user can write', () => {
  it('a link put at a package name after the check is not followed', async () => {
    const { dir, pkg, secret } = await repo();
    uploads.length = 0;
    onFirstHead = () => {
      renameSync(pkg, `${pkg}.moved`);
      symlinkSync(secret, pkg);
    };
    const out = await publishRepository(dir, `oci://${host}/blueprint/modules`).catch((e: unknown) => e);
    expect(leaked()).toBe(false);
    // The file uploaded is the one checked (the descriptor still reads it, under any name).
    expect(out).toMatchObject({ files: expect.any(Array) });
    expect(uploads.some((b) => b.equals(readFileSync(`${pkg}.moved`)))).toBe(true);
  });

  it('a link to a folder on the way is refused before anything is sent', async () => {
    const { dir, secret } = await repo();
    uploads.length = 0;
    const folder = path.join(dir, 'pool/good');
    renameSync(folder, `${folder}.real`);
    symlinkSync(path.dirname(secret), folder);
    const err = await publishRepository(dir, `oci://${host}/blueprint/modules`).catch((e: unknown) => e);
    expect(leaked()).toBe(false);
    expect(uploads).toEqual([]);
    expect(err).toMatchObject({ code: 'path-outside-repository' });
  });
});
