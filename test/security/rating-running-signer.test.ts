/**
 * The security rating's `signed` point of a container still running the previous version after an
 * upgrade: e663062 made the rating judge that container by the registration of the version it
 * runs (its mounts), but its signer was still read from the package database's entry, which names
 * the installed version's signer only. An upgrade whose package another key signed (a publisher's
 * new key) then credited the running old version with the new key. Now the signer of the version
 * that runs: the database's when it is the installed one, else the one the database named for it
 * when the upgrade replaced it (kept with its registration). Stopped, the installed version's.
 * The hooks run as the package transaction runs them (prepare before the database is committed);
 * the database entries are written as its commit writes them. Real Podman, the hello module.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveDatabase } from '../../src/core/pkg/db.js';
import { inspectService } from '../../src/core/services/inspect.js';
import { startService, stopService } from '../../src/core/services/lifecycle.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { layout } from '../../src/core/system/paths.js';
import { buildHello, type HelloBuild, makeBox, type TestBox, uniqueName } from '../services/helpers.js';

const OLD_KEY = 'A'.repeat(40);
const NEW_KEY = 'B'.repeat(40);
let build: HelloBuild;
let box: TestBox;
const name = uniqueName('bpt-ratsig');

/** The package database as a transaction's commit leaves it: NAME at `version`, signed by `signer`. */
const committed = (version: string, signer: string, previous?: string) =>
  saveDatabase(layout(box.root), {
    format: 1,
    txid: `t-${version}`,
    packages: {
      [name]: {
        name,
        version,
        arch: 'all',
        summary: 'hello',
        depends: [],
        origin: 'main',
        signer,
        installed: new Date().toISOString(),
        ...(previous ? { previous } : {}),
      },
    },
  });

const signerIn = (r: { items: { code: string; data?: Record<string, unknown> }[] }) =>
  r.items.find((i) => i.code === 'signed')?.data?.signer;

beforeAll(async () => {
  build = await buildHello();
  box = await makeBox(build);
  await box.install(name);
  await committed('1.0.0', OLD_KEY);
}, 180_000);
afterAll(async () => {
  await box?.cleanup();
  if (build) await rm(build.dir, { recursive: true, force: true });
});

describe('the signed point of the version that runs (real Podman)', () => {
  it('a container still running the previous version keeps its own signer after an upgrade', async () => {
    const deps = { engine: box.engine, root: box.root };
    await startService(deps, name);
    expect(signerIn((await serviceStatus(deps, name)).rating)).toBe(OLD_KEY);

    // The upgrade: 2.0.0's hooks run while the database still names 1.0.0, then the commit.
    await box.install(name, {}, { version: '2.0.0' });
    await committed('2.0.0', NEW_KEY, '1.0.0');
    const after = await serviceStatus(deps, name);
    expect([after.version, after.containerVersion, after.state]).toEqual(['2.0.0', '1.0.0', 'running']);
    expect(signerIn(after.rating)).toBe(OLD_KEY);
    expect(signerIn((await inspectService(deps, name)).rating)).toBe(OLD_KEY);

    // Stopped, it is rated as a start would make it: 2.0.0, its own signer. (A start would meet the
    // data folder kept from the other key: data-owner.ts, not the rating's matter.)
    await stopService(deps, name);
    const stopped = await serviceStatus(deps, name);
    expect(stopped.rating.basis).toBe('manifest');
    expect(signerIn(stopped.rating)).toBe(NEW_KEY);
  }, 180_000);
});
