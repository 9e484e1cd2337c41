import { constants } from 'node:fs';
import { chmod, lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApplianceSpec, applyPlan, planSetup, specSchema } from '../../src/core/setup/index.js';
import { shellAs, sshPublicKey, tempRoot } from '../setup/helpers.js';

/**
 * A plan compares each managed file with what is on disk, and it read a user's
 * ~/.ssh/authorized_keys whole, as root, whatever it was. The user (a non-admin the spec manages)
 * could make it a FIFO: every later `blueprint apply` or setup hung for good at its plan, or a
 * 16 GiB sparse file, or a folder: every apply failed. Either way the admin could no longer change anything on
 * the box by apply, the user's own keys included (a key rotation that should have shut them out).
 * A managed file that is not a plain file is replaced; a plain one is read only as far as the
 * content it should have.
 */
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('home-files'));
  await chmod(root, 0o755);
});
afterEach(async () => {
  // Lets a plan that hung on the FIFO (before the fix) finish, so the test file can end.
  const fifo = await open(at(KEYS), constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
  await fifo?.close();
  await cleanup();
});

const at = (p: string) => path.join(root, p);
const KEYS = 'home/mallory/.ssh/authorized_keys';
const spec = (malloryKey: string): ApplianceSpec =>
  specSchema.parse({
    hostname: 'box-01',
    users: [
      { name: 'admin', keys: [sshPublicKey('ops@laptop')] },
      { name: 'mallory', admin: false, keys: [malloryKey] },
    ],
  });

/** Runs a shell command as mallory (no root, no groups), in her ~/.ssh. */
async function asMallory(script: string): Promise<void> {
  shellAs(await stat(at('home/mallory/.ssh')), at('home/mallory/.ssh'), script);
}

/** The plan and apply of a key rotation, or 'hung' when the plan has not answered in 5 s. */
async function rotate(key: string): Promise<unknown> {
  const run = planSetup(root, spec(key), []).then((plan) => applyPlan(plan));
  const timer = new Promise((resolve) => setTimeout(() => resolve('hung'), 5000).unref());
  return Promise.race([
    run.then(
      () => 'applied',
      (err: unknown) => err,
    ),
    timer,
  ]);
}

describe.skipIf(process.getuid?.() !== 0)('a user planting odd files where setup manages theirs', () => {
  it('a FIFO as ~/.ssh/authorized_keys: the key rotation is applied, not hung', async () => {
    await applyPlan(await planSetup(root, spec(sshPublicKey('mallory@old')), []));
    await asMallory('rm authorized_keys; mkfifo authorized_keys');
    const key = sshPublicKey('mallory@rotated');
    expect(await rotate(key)).toBe('applied');
    expect((await lstat(at(KEYS))).isFile()).toBe(true);
    expect(await readFile(at(KEYS), 'utf8')).toBe(`${key}\n`);
  });

  it('a 16 GiB sparse ~/.ssh/authorized_keys: the key rotation is applied', async () => {
    await applyPlan(await planSetup(root, spec(sshPublicKey('mallory@old')), []));
    await asMallory('truncate -s 16G authorized_keys');
    const key = sshPublicKey('mallory@rotated');
    expect(await rotate(key)).toBe('applied');
    expect(await readFile(at(KEYS), 'utf8')).toBe(`${key}\n`);
  });

  it('a folder (with a file in it) as ~/.ssh/authorized_keys: the key rotation is applied, her folder kept aside', async () => {
    await applyPlan(await planSetup(root, spec(sshPublicKey('mallory@old')), []));
    await asMallory('rm authorized_keys; mkdir authorized_keys; echo mine > authorized_keys/x');
    const key = sshPublicKey('mallory@rotated');
    expect(await rotate(key)).toBe('applied');
    expect(await readFile(at(KEYS), 'utf8')).toBe(`${key}\n`);
    // Moved, not removed: nothing of hers is deleted by root walking a folder she controls.
    const aside = (await readdir(at('home/mallory/.ssh'))).filter((n) => n !== 'authorized_keys');
    expect(aside).toHaveLength(1);
    expect(await readFile(at(`home/mallory/.ssh/${aside[0]}/x`), 'utf8')).toBe('mine\n');
  });

  it('an unchanged plain keys file is still seen as unchanged', async () => {
    const key = sshPublicKey('mallory@same');
    await applyPlan(await planSetup(root, spec(key), []));
    const plan = await planSetup(root, spec(key), []);
    expect(plan.changes.find((c) => c.target === KEYS)?.action).toBe('unchanged');
    await asMallory(`printf '%s\\n' "x${key.slice(1)}" > authorized_keys`);
    const again = await planSetup(root, spec(key), []);
    expect(again.changes.find((c) => c.target === KEYS)).toMatchObject({
      action: 'update',
      detail: 'content',
    });
  });
});
