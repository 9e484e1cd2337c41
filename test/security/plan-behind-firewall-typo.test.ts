/**
 * REVIEW18 on 35200dc5: on a running box whose firewall is in force the plan no longer fetches a
 * repository it has not added yet to judge the module names (withCatalog's firewallInForce), so a
 * typo in the answers file is caught only by apply's install, after the network files, firewall,
 * keys and repositories are written. The install refused it (real package manager, real OpenPGP),
 * but as `bpkg install` would: 'No package helo-module in the verified indexes', hint 'Did you mean
 * hello-module? `bpkg install hello-module`', naming no field of the file and not saying that what
 * was written stays and that the corrected file run again finishes the job. Now the field is named
 * and the setup's way on said; the corrected file finishes it (the marker, last, was never written).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withCatalog } from '../../src/core/setup/catalog.js';
import { applyPlan, loadAnswersFile, planSetup } from '../../src/core/setup/index.js';
import { moduleOpsFor, openManager } from '../helpers/box.js';
import { buildRepo, makeKey, makeSource } from '../helpers/pkg.js';
import { consolePasswordHash, sshPublicKey, tempRoot } from '../setup/helpers.js';

let root: string;
let work: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  const a = await tempRoot('r18-fw-root');
  const b = await tempRoot('r18-fw-work');
  root = a.root;
  work = b.root;
  cleanups.push(a.cleanup, b.cleanup);
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function answers(module: string) {
  const key = await makeKey(path.join(work, 'key'));
  const repoDir = path.join(work, 'repo');
  await buildRepo(repoDir, key, [
    makeSource(path.join(work, 'src'), { name: 'hello-module', version: '1.0.0' }),
  ]);
  const file = path.join(work, 'answers.yaml');
  await writeFile(
    file,
    [
      'hostname: box-18',
      `admin: { name: admin, keys: ["${sshPublicKey()}"], passwordHash: "${consolePasswordHash()}" }`,
      `repository: { name: main, url: "${pathToFileURL(repoDir).href}", key: key/signing-key.pub.asc, fingerprint: "${key.fingerprint}" }`,
      `modules: [{ name: ${module}, state: installed }]`,
    ].join('\n'),
  );
  return file;
}

/** The same file with another module name (the key and repository as they were). */
async function renamed(file: string, module: string) {
  const text = (await readFile(file, 'utf8')).replace(
    /modules: \[\{ name: [^,]+,/,
    `modules: [{ name: ${module},`,
  );
  await writeFile(file, text);
  return loadAnswersFile(file);
}

describe('setup behind the box firewall: a module name the plan did not judge', () => {
  it('a typo passes the plan, and apply refuses it at the install, saying what to do', async () => {
    const file = await answers('helo-module');
    const loaded = await loadAnswersFile(file);
    const ops = await moduleOpsFor(root);
    // The plan on the running box: the new repository is not fetched, the name not judged.
    expect(await withCatalog(root, loaded.spec, loaded.repositories, ops, async () => true)).toEqual(
      loaded.repositories,
    );
    // Where no firewall holds it back the same file is refused before anything is written.
    await expect(withCatalog(root, loaded.spec, loaded.repositories, ops, async () => false)).rejects.toThrow(
      /"helo-module" is not in the offline catalog .* \(did you mean hello-module\?\)/,
    );
    // The plan as made behind the firewall (no scratch fetch), applied.
    const blind = { ...ops, offeredBy: undefined };
    const plan = await planSetup(root, loaded.spec, loaded.repositories, blind);
    const err = await applyPlan(plan, { ops }).then(
      () => undefined,
      (e: unknown) => e as Error & { hint?: string },
    );
    // Refused at the install, naming the file's field, with the setup's way on (not `bpkg install`).
    expect(err?.message).toMatch(/^modules\.0\.name: "helo-module" is offered by no repository the box has/);
    expect(err?.hint).toMatch(/Did you mean hello-module\?/);
    expect(err?.hint).toMatch(/correct the name in the file and run the same command again/i);
    expect(err?.hint).toMatch(/what was written before stays/);
    expect(err?.hint).not.toMatch(/bpkg install/);
    const pm = await openManager(root);
    expect(await pm.installed()).toEqual([]);
    // The key and the repository were written before the install: they stay, each whole.
    expect((await pm.keyring.list()).map((k) => k.fingerprint)).toEqual([
      loaded.repositories[0]!.key.fingerprint.toLowerCase(),
    ]);
    // The same file, corrected, finishes the job.
    const fixed = await renamed(file, 'hello-module');
    const again = await applyPlan(await planSetup(root, fixed.spec, fixed.repositories, blind), { ops });
    expect(again.changed.map((c) => `${c.kind} ${c.action} ${c.target}`)).toContain(
      'package create hello-module',
    );
  });
});
