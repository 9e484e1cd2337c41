import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, loadAnswersFile, pendingChanges, planSetup } from '../../src/core/setup/index.js';
import { moduleOpsFor, openManager } from '../helpers/box.js';
import { buildRepo, makeKey, makeSource } from '../helpers/pkg.js';
import { consolePasswordHash, sshPublicKey, tempRoot } from './helpers.js';

let root: string;
let work: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  const a = await tempRoot('mods-root');
  const b = await tempRoot('mods-work');
  root = a.root;
  work = b.root;
  cleanups.push(a.cleanup, b.cleanup);
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function answers(state: 'installed' | 'running') {
  const key = await makeKey(path.join(work, 'key'));
  const repoDir = path.join(work, 'repo');
  await buildRepo(repoDir, key, [
    makeSource(path.join(work, 'src'), { name: 'hello-module', version: '1.0.0' }),
  ]);
  const file = path.join(work, 'answers.yaml');
  await writeFile(
    file,
    [
      'hostname: box-02',
      `admin: { name: admin, keys: ["${sshPublicKey()}"], passwordHash: "${consolePasswordHash()}" }`,
      `repository: { name: main, url: "${pathToFileURL(repoDir).href}", key: key/signing-key.pub.asc, fingerprint: "${key.fingerprint}" }`,
      `modules: [{ name: hello-module, state: ${state} }]`,
    ].join('\n'),
  );
  return file;
}

describe('setup with a repository and modules, through the real package manager', () => {
  it('trusts the pinned key, adds the repository, installs the module, and does it once', async () => {
    const loaded = await loadAnswersFile(await answers('installed'));
    const ops = await moduleOpsFor(root);
    const first = await applyPlan(await planSetup(root, loaded.spec, loaded.repositories, ops), { ops });
    expect(first.changed.map((c) => `${c.kind} ${c.action}`)).toEqual(
      expect.arrayContaining(['key create', 'repository create', 'package create']),
    );
    const pm = await openManager(root);
    expect((await pm.installed()).map((p) => `${p.name} ${p.version}`)).toEqual(['hello-module 1.0.0']);
    expect((await pm.keyring.list()).map((k) => k.fingerprint)).toEqual([
      loaded.repositories[0]!.key.fingerprint.toLowerCase(),
    ]);
    expect(pendingChanges(await planSetup(root, loaded.spec, loaded.repositories, ops))).toEqual([]);
  });

  it('a module with no service section asked to run is installed once, and not "started" on every apply', async () => {
    const loaded = await loadAnswersFile(await answers('running'));
    const ops = await moduleOpsFor(root);
    const plan = await planSetup(root, loaded.spec, loaded.repositories, ops);
    // Before the install the plan cannot know; it says so.
    expect(plan.changes.find((c) => c.kind === 'service')?.what).toBe('running, if it has a service');
    const reported: string[] = [];
    const first = await applyPlan(plan, { ops, onChange: (c) => reported.push(`${c.kind} ${c.target}`) });
    // Once installed it has no service: no 'create service' reported or counted (apply printed
    // '+ create service hello-data (running)' and counted it among the changes applied).
    const changed = first.changed.map((c) => `${c.kind} ${c.action} ${c.target}`);
    expect(changed).toContain('package create hello-module');
    expect(changed.filter((c) => c.startsWith('service'))).toEqual([]);
    expect(reported).toContain('package hello-module');
    expect(reported).not.toContain('service hello-module');
    expect(pendingChanges(await planSetup(root, loaded.spec, loaded.repositories, ops))).toEqual([]);
  });
});
