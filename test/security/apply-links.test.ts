import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ApplianceSpec,
  applyPlan,
  type Change,
  planSetup,
  specSchema,
} from '../../src/core/setup/index.js';
import { shellAs, sshPublicKey, tempRoot } from '../setup/helpers.js';

/**
 * Issue 11, finding 3: `blueprint apply`/`setup` write each user's ~/.ssh/authorized_keys as root,
 * in a folder that user owns. A non-admin user who plants links there must not get a root-owned
 * file (here the root's /etc/shadow, or root's own authorized_keys) rewritten, re-owned or
 * re-moded. The attacker's moves are made as that user (setpriv), so each is one they really can.
 */

// Spies on the path-based calls, so a test can act right after a rename (the race the review won
// 4 times in 5) and check that ownership and modes are never set through a path.
const fsSpy = vi.hoisted(() => ({
  afterRename: undefined as ((to: string) => void) | undefined,
  pathCalls: [] as string[],
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const record =
    <A extends unknown[], R>(name: string, fn: (p: import('node:fs').PathLike, ...a: A) => Promise<R>) =>
    (p: import('node:fs').PathLike, ...a: A) => {
      fsSpy.pathCalls.push(`${name} ${String(p)}`);
      return fn(p, ...a);
    };
  const wrapped = {
    ...real,
    chmod: record('chmod', real.chmod),
    chown: record('chown', real.chown),
    lchown: record('lchown', real.lchown),
    async rename(from: Parameters<typeof real.rename>[0], to: Parameters<typeof real.rename>[1]) {
      await real.rename(from, to);
      fsSpy.afterRename?.(String(to));
    },
  };
  return { ...wrapped, default: wrapped };
});

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('links'));
  // The attacker must be able to reach their own home, as on a real box.
  await chmod(root, 0o755);
  fsSpy.afterRename = undefined;
  fsSpy.pathCalls = [];
});
afterEach(() => cleanup());

const at = (p: string) => path.join(root, p);
const adminKey = sshPublicKey('ops@laptop');
const spec = (malloryKey: string): ApplianceSpec =>
  specSchema.parse({
    hostname: 'box-01',
    timezone: 'UTC',
    users: [
      { name: 'admin', keys: [adminKey] },
      { name: 'mallory', admin: false, keys: [malloryKey] },
    ],
  });
const apply = async (s: ApplianceSpec, onChange?: (c: Change) => void) =>
  applyPlan(await planSetup(root, s, []), onChange ? { onChange } : {});

const SSH = 'home/mallory/.ssh';
let mallory: { uid: number; gid: number };

/** Runs a shell command as mallory (no root, no groups), in her ~/.ssh's parent. */
function asMallory(script: string): void {
  shellAs(mallory, at('home/mallory'), script);
}

/** Owner, mode and content of a file, to compare before and after. */
async function snapshot(file: string) {
  const st = await lstat(file);
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, content: await readFile(file, 'utf8') };
}

/** A first apply makes both accounts and homes; mallory then owns home/mallory and its .ssh. */
async function firstApply() {
  await apply(spec(sshPublicKey('mallory@old')));
  const st = await stat(at(SSH));
  mallory = { uid: st.uid, gid: st.gid };
  expect(mallory.uid).toBeGreaterThanOrEqual(1000);
  const shadow = await snapshot(at('etc/shadow'));
  expect([shadow.uid, shadow.mode]).toEqual([0, 0o640]);
  return shadow;
}

/** mallory's keys file ends up a plain file of hers with the new key, and nothing else changed. */
async function expectOwnKeysWritten(key: string) {
  const st = await lstat(at(`${SSH}/authorized_keys`));
  expect(st.isFile()).toBe(true);
  expect([st.uid, st.mode & 0o777]).toEqual([mallory.uid, 0o600]);
  expect(await readFile(at(`${SSH}/authorized_keys`), 'utf8')).toBe(`${key}\n`);
}

// Root makes the accounts and acts as the user through setpriv; CI runs the suite as root.
describe.skipIf(process.getuid?.() !== 0)(
  'setup apply does not follow links a user plants in their home',
  () => {
    it('(a) authorized_keys and the temporary name both link to /etc/shadow: shadow keeps owner, mode, content', async () => {
      const shadow = await firstApply();
      // The temporary file's name was predictable (pid + time): plant it, and the keys file, as links.
      const now = 1_900_000_000_000;
      const victim = at('etc/shadow');
      asMallory(
        `ln -sf "${victim}" .ssh/authorized_keys; ln -s "${victim}" ".ssh/.authorized_keys.${process.pid}.${now}.tmp"`,
      );
      const key = sshPublicKey('mallory@new');
      const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
      try {
        await apply(spec(key));
      } finally {
        clock.mockRestore();
      }
      expect(await snapshot(victim)).toEqual(shadow);
      await expectOwnKeysWritten(key);
    });

    it("(b) ~/.ssh swapped for a link to root's ~/.ssh just before the keys are written: refused, root's keys untouched", async () => {
      await firstApply();
      await mkdir(at('root/.ssh'), { recursive: true, mode: 0o700 });
      await writeFile(at('root/.ssh/authorized_keys'), 'ssh-ed25519 AAAA root-only\n', { mode: 0o600 });
      const rootKeys = await snapshot(at('root/.ssh/authorized_keys'));
      let swapped = false;
      const run = apply(spec(sshPublicKey('mallory@new')), (c) => {
        if (c.target !== `${SSH}/authorized_keys`) return;
        asMallory(`mv .ssh .ssh.away; ln -s "${at('root/.ssh')}" .ssh`);
        swapped = true;
      });
      const outcome = await run.then(
        () => 'applied',
        (err: unknown) => err,
      );
      expect(swapped).toBe(true);
      expect(await snapshot(at('root/.ssh/authorized_keys'))).toEqual(rootKeys);
      expect(await readdir(at('root/.ssh'))).toEqual(['authorized_keys']);
      expect(outcome).toMatchObject({ code: 'unsafe-link' });
      expect((await stat(at('root/.ssh'))).uid).toBe(0);
    });

    it('(b) a ~/.ssh that is already a link when apply starts is replaced by a directory, never followed', async () => {
      // Guard: the old code already did this; the walk by descriptors must keep doing it.
      await firstApply();
      await mkdir(at('root/.ssh'), { recursive: true, mode: 0o700 });
      asMallory(`rm -r .ssh; ln -s "${at('root/.ssh')}" .ssh`);
      const key = sshPublicKey('mallory@new');
      await apply(spec(key));
      expect(await readdir(at('root/.ssh'))).toEqual([]);
      expect((await lstat(at(SSH))).isDirectory()).toBe(true);
      await expectOwnKeysWritten(key);
    });

    it("the dry-run plan does not read through a ~/.ssh link: root's keys file is not described", async () => {
      await firstApply();
      await mkdir(at('root/.ssh'), { recursive: true, mode: 0o700 });
      await writeFile(at('root/.ssh/authorized_keys'), 'ssh-ed25519 AAAA root-only\n', { mode: 0o600 });
      asMallory(`rm -r .ssh; ln -s "${at('root/.ssh')}" .ssh`);
      const plan = await planSetup(root, spec(sshPublicKey('mallory@new')), []);
      const keys = plan.changes.find((c) => c.target === `${SSH}/authorized_keys`);
      // Through the link the plan would compare with root's file (owner 0:0, mode 0600).
      expect(keys?.action).toBe('create');
      expect(keys?.detail ?? '').not.toMatch(/owner 0:0|0600/);
    });

    it('planning a fresh root leaves no folder open (missing folders close what was opened)', async () => {
      const fds = () => readdir('/proc/self/fd').then((l) => l.length);
      await planSetup(root, spec(sshPublicKey('mallory@new')), []);
      const before = await fds();
      await planSetup(root, spec(sshPublicKey('mallory@new')), []);
      expect(await fds()).toBe(before);
    });

    it('a link root put in a folder only root can write (home -> var/home) is still followed', async () => {
      await mkdir(at('var/home'), { recursive: true, mode: 0o755 });
      await symlink('var/home', at('home'));
      const key = sshPublicKey('mallory@new');
      await apply(spec(key));
      mallory = { uid: (await stat(at('var/home/mallory'))).uid, gid: 0 };
      expect((await lstat(at('home'))).isSymbolicLink()).toBe(true);
      await expectOwnKeysWritten(key);
    });

    it('(c) the keys file swapped for a link to /etc/shadow right after the rename: shadow unchanged, no chmod/chown by path', async () => {
      const shadow = await firstApply();
      let swaps = 0;
      fsSpy.afterRename = (to) => {
        if (!to.endsWith('/authorized_keys')) return;
        asMallory(`ln -sf "${at('etc/shadow')}" .ssh/authorized_keys`);
        swaps++;
      };
      fsSpy.pathCalls = [];
      await apply(spec(sshPublicKey('mallory@new'))).catch(() => {});
      fsSpy.afterRename = undefined;
      // Only mallory's keys changed, so exactly one keys file was renamed into place.
      expect(swaps).toBe(1);
      expect(await snapshot(at('etc/shadow'))).toEqual(shadow);
      // Owner and mode are set on the open file, never by a name someone else can repoint.
      expect(fsSpy.pathCalls.filter((c) => c.includes(path.join(root, 'home')))).toEqual([]);
    });
  },
);
