import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlueprintError, NotFoundError } from '../../src/core/errors.js';
import { announceKeyRotation, PackageManager } from '../../src/core/pkg/index.js';
import type { Engine, LibpodCall } from '../../src/core/services/engine.js';
import { startService } from '../../src/core/services/lifecycle.js';
import { setAccessToken } from '../../src/core/services/module-token.js';
import { writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { installedLine } from '../../src/present/install.js';
import { makeKey, publishSources, tempDir } from '../helpers/pkg.js';
import { addOtherRepository, vectorsFromMain } from '../helpers/vectors-origins.js';

/**
 * `bpkg remove NAME` keeps the module's data folder so a reinstall finds it. Trust is scoped: the
 * folder kept from `vectors` of repository A (signed by A's key: say an index of private
 * documents) must not be handed to a `vectors` from repository B, signed by another key, installed
 * later under the same name. The same repository (also after an announced key rotation) keeps it.
 *
 * The container is not made: a stand-in engine records what `service start` asks it to create.
 */

const fakeId = `sha256:${'b'.repeat(64)}`;

function recordingEngine() {
  const created: { mounts?: { destination: string; source: string }[] }[] = [];
  const engine: Engine = {
    socket: '/nonexistent/engine.sock',
    docker: () => Promise.reject(new Error('not used by service start')),
    call: (_what, fn) => fn(),
    async libpod<T>(method: string, apiPath: string, opts?: LibpodCall): Promise<T> {
      // The image is there (start judges it: fa9dd12 refuses one the engine lacks); no container yet.
      if (method === 'GET' && apiPath.startsWith('/images/')) return { Annotations: {} } as T;
      if (method === 'GET' && apiPath.endsWith('/json')) throw new NotFoundError('no such container');
      if (method === 'POST' && apiPath === '/containers/create') {
        created.push(opts?.body as (typeof created)[number]);
        opts?.sent?.();
      }
      return {} as T;
    },
  };
  return { engine, created };
}

/** Starts `vectors` as installed now (its registration says: data at /data) on the stand-in engine. */
async function start(root: string) {
  const { engine, created } = recordingEngine();
  const db = JSON.parse(readFileSync(path.join(root, 'var/lib/blueprint/pkg/installed.json'), 'utf8'));
  const version = db.packages.vectors.version as string;
  await writeRegistration(root, {
    name: 'vectors',
    version,
    prefix: path.join(root, 'opt/blueprint/vectors', version),
    spec: parseService({ image: { id: fakeId }, data: '/data' }),
    approvals: { outboundNetwork: false },
    imageId: fakeId,
  });
  const outcome = await startService({ engine, root }, 'vectors', { wait: false }).then(
    () => undefined,
    (err: unknown) => err,
  );
  const dataMounts = created.flatMap((c) => (c.mounts ?? []).filter((m) => m.destination === '/data'));
  return { outcome, created, dataMounts };
}

/** A box with repository `main` (key A) offering vectors 1.0.0; vectors installed, data written, removed. */
async function boxWithKeptData() {
  const { root, box, keyA, repoA } = await vectorsFromMain();
  const data = path.join(root, 'var/lib/blueprint/modules/vectors');
  const first = await start(root);
  expect(first.outcome).toBeUndefined();
  expect(first.dataMounts.map((m) => m.source)).toEqual([data]);
  writeFileSync(path.join(data, 'index.bin'), 'private documents of A');
  expect(await box.packages.remove(['vectors'])).toMatchObject([{ name: 'vectors', dataKept: data }]);
  return { root, box, data, keyA, repoA };
}

describe("a module's kept data folder belongs to where the module came from", () => {
  it('a same-named package from another repository and key does not get the kept data', async () => {
    const { root, box, data } = await boxWithKeptData();
    await addOtherRepository(root);
    const [installed] = await box.packages.install(['vectors'], { from: 'other' });
    // Said at install already (the registration of vectors says it has data at /data).
    expect(installed?.dataHeld).toMatchObject({ dir: data, origin: 'main' });
    expect(installedLine(installed!)).toContain(
      `warning: vectors will not start with the data kept in ${data}: it came from vectors of repository main`,
    );
    const { outcome, created, dataMounts } = await start(root);
    // Before the fix: no error, and the container was created with A's folder mounted at /data.
    expect(dataMounts).toEqual([]);
    expect(created).toEqual([]);
    expect(outcome).toBeInstanceOf(BlueprintError);
    const err = outcome as BlueprintError;
    expect(err.code).toBe('data-owner');
    expect(err.message).toContain('repository main');
    expect(err.message).toContain('repository other');
    expect(err.hint).toContain('bpkg remove vectors --purge');
    expect(err.hint).toContain(data);
    expect(readFileSync(path.join(data, 'index.bin'), 'utf8')).toBe('private documents of A');
  });

  it('nor when the record of whom it belongs to is damaged: named (exit 7), not rebound to the new one', async () => {
    // Before: a record not JSON, or not a record, was taken as none, and the folder was bound to the
    // installed package (the record overwritten) and mounted: A's data given to B's vectors.
    const { root, box } = await boxWithKeptData();
    await addOtherRepository(root);
    await box.packages.install(['vectors'], { from: 'other' });
    const record = path.join(root, 'var/lib/blueprint/modules/.owners/vectors.json');
    for (const text of ['{"origin":"main","sig', '{"origin":7}']) {
      writeFileSync(record, text);
      const { outcome, created, dataMounts } = await start(root);
      expect(dataMounts).toEqual([]);
      expect(created).toEqual([]);
      expect(outcome).toBeInstanceOf(BlueprintError);
      expect(outcome).toMatchObject({ code: 'damaged-file', exitCode: 7 });
      expect((outcome as BlueprintError).message).toContain(`${record} is damaged`);
      // In backticks: the CLI gives a command there the --root typed (src/present/root-in-hints.ts).
      expect((outcome as BlueprintError).hint).toContain('`bpkg remove vectors --purge`');
      expect(readFileSync(record, 'utf8')).toBe(text);
    }
  });

  it("nor is the admin's access token for the new package written into the kept folder", async () => {
    const { root, box, data } = await boxWithKeptData();
    writeFileSync(path.join(data, 'access-token'), 'token-of-the-package-from-main\n');
    await addOtherRepository(root);
    await box.packages.install(['vectors'], { from: 'other' });
    await start(root); // refused; its registration is in place
    const err = await setAccessToken(root, 'vectors', 'x'.repeat(32)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as BlueprintError).code).toBe('data-owner');
    expect(readFileSync(path.join(data, 'access-token'), 'utf8')).toBe('token-of-the-package-from-main\n');
  });

  it('once the admin moved the old folder away, the new package starts with a fresh one', async () => {
    const { root, box, data } = await boxWithKeptData();
    await addOtherRepository(root);
    await box.packages.install(['vectors'], { from: 'other' });
    expect((await start(root)).outcome).toBeInstanceOf(BlueprintError);
    renameSync(data, path.join(tempDir(), 'vectors-from-main'));
    const again = await start(root);
    expect(again.outcome).toBeUndefined();
    expect(again.dataMounts.map((m) => m.source)).toEqual([data]);
    expect(existsSync(path.join(data, 'index.bin'))).toBe(false);
  });

  it('purging the data after the refusal lets the new package start afresh', async () => {
    const { root, box, data } = await boxWithKeptData();
    await addOtherRepository(root);
    await box.packages.install(['vectors'], { from: 'other' });
    expect((await start(root)).outcome).toBeInstanceOf(BlueprintError);
    await box.packages.remove(['vectors'], { purge: true });
    await box.packages.install(['vectors'], { from: 'other' });
    const again = await start(root);
    expect(again.outcome).toBeUndefined();
    expect(existsSync(path.join(data, 'index.bin'))).toBe(false);
  });

  it('a reinstall from the same repository and key finds its data', async () => {
    const { root, box, data } = await boxWithKeptData();
    const [installed] = await box.packages.install(['vectors']);
    expect(installed).toMatchObject({ name: 'vectors', to: '1.0.0' });
    expect(installed?.dataHeld).toBeUndefined();
    const again = await start(root);
    expect(again.outcome).toBeUndefined();
    expect(again.dataMounts.map((m) => m.source)).toEqual([data]);
    expect(readFileSync(path.join(data, 'index.bin'), 'utf8')).toBe('private documents of A');
  });

  it('the same repository after an announced key rotation keeps its data', async () => {
    const { root, box, data, keyA, repoA } = await boxWithKeptData();
    const next = await makeKey(path.join(tempDir(), 'key-a2'), { name: 'Repository A, next key' });
    await announceKeyRotation(repoA, next.publicKey, next.fingerprint, { keyFile: keyA.privateFile });
    const pm = new PackageManager({ root });
    const [rotated] = await pm.update();
    expect(rotated).toMatchObject({ ok: true, rotatedKey: next.fingerprint });
    await publishSources(repoA, next, [{ name: 'vectors', version: '1.1.0' }]);
    const [updated] = await pm.update();
    expect(updated?.ok).toBe(true);
    await box.packages.install(['vectors']);
    const db = JSON.parse(readFileSync(path.join(root, 'var/lib/blueprint/pkg/installed.json'), 'utf8'));
    expect(db.packages.vectors).toMatchObject({ version: '1.1.0', origin: 'main', signer: next.fingerprint });
    const again = await start(root);
    expect(again.outcome).toBeUndefined();
    expect(again.dataMounts.map((m) => m.source)).toEqual([data]);
  });

  it('a folder the module never started with is bound at removal to the package removed', async () => {
    // Data put there by hand (or kept by an older blueprint): `bpkg remove` records whose it was.
    const { root, box } = await vectorsFromMain();
    const data = path.join(root, 'var/lib/blueprint/modules/vectors');
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'index.bin'), 'private documents of A');
    await box.packages.remove(['vectors']);
    await addOtherRepository(root);
    await box.packages.install(['vectors'], { from: 'other' });
    const { outcome, created } = await start(root);
    expect((outcome as BlueprintError).code).toBe('data-owner');
    expect(created).toEqual([]);
  });

  it('what the module writes in its own folder does not change whom the folder belongs to', async () => {
    const { root, box, data } = await boxWithKeptData();
    const keyB = await addOtherRepository(root);
    // Blueprint keeps nothing of its own in the folder the module writes...
    expect(readdirSync(data)).toEqual(['index.bin']);
    // ...so A's module cannot hand its folder on by writing a claim into it.
    for (const f of ['owner.json', '.owner.json', '.blueprint-owner.json'])
      writeFileSync(path.join(data, f), JSON.stringify({ origin: 'other', signer: keyB.fingerprint }));
    await box.packages.install(['vectors'], { from: 'other' });
    expect(((await start(root)).outcome as BlueprintError).code).toBe('data-owner');
  });
});
