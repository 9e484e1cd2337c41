import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceDirs } from '../../src/core/services/policy.js';
import {
  shareWiring,
  TOKEN_FILE,
  type UsedModule,
  writeTokenCopies,
} from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../setup/temp-registry.js';

// The token copies a consumer gets (issue 17: rag uses embeddings, vectors, llm) are written and
// handed to the consumer's group by root, in ROOT/run/blueprint/wiring/CONSUMER. Only root can
// write there today; these check that nothing depends on that: a link or a hard link planted at a
// copy's name, at the consumer's folder or at the wiring folder is never followed, so a file
// outside (here a "host secret" in the temp root) keeps its owner, mode and bytes.

const GID = 4242; // stands for the consumer's group on the host (its user namespace's)
const TOKEN = 'token-0123456789abcdef\n';

function box() {
  const root = tempDir('bp-wiring-links-');
  const dirs = serviceDirs(root, 'llm');
  mkdirSync(dirs.dataDir, { recursive: true });
  mkdirSync(dirs.socketDir, { recursive: true });
  const tokenSource = path.join(dirs.dataDir, TOKEN_FILE);
  writeFileSync(tokenSource, TOKEN, { mode: 0o600 });
  const wiring = path.join(layout(root).runDir, 'wiring');
  const consumer = path.join(wiring, 'rag');
  const copy = path.join(consumer, 'llm.token');
  const used: UsedModule[] = [
    {
      name: 'llm',
      range: '*',
      version: '1.0.0',
      socketDir: dirs.socketDir,
      target: '/run/blueprint/uses/llm',
      socket: '/run/blueprint/uses/llm/llm.sock',
      tokenFile: copy,
      tokenTarget: '/run/blueprint/tokens/llm',
      tokenSource,
    },
  ];
  // What the attacker points at: a folder outside the wiring holding a secret under the names used.
  const victimDir = path.join(root, 'victim');
  mkdirSync(path.join(victimDir, 'rag'), { recursive: true });
  const victim = path.join(victimDir, 'rag', 'llm.token');
  writeFileSync(victim, 'host secret\n', { mode: 0o600 });
  return { root, wiring, consumer, copy, used, victimDir, victim };
}

/** What must not change about a file: owner, mode, links, bytes. */
const state = (file: string) => {
  const st = lstatSync(file);
  return {
    uid: st.uid,
    gid: st.gid,
    mode: st.mode,
    nlink: st.nlink,
    ino: st.ino,
    bytes: readFileSync(file, 'utf8'),
  };
};

/** The copy the consumer reads: a regular file of root and the consumer's group, 0440, the token. */
function expectGoodCopy(copy: string) {
  const st = lstatSync(copy);
  expect(st.isFile()).toBe(true);
  expect([st.uid, st.gid, st.mode & 0o7777, st.nlink]).toEqual([0, GID, 0o440, 1]);
  expect(readFileSync(copy, 'utf8')).toBe(TOKEN);
  // No temporary name left beside it.
  expect(readdirSync(path.dirname(copy))).toEqual([path.basename(copy)]);
  const dir = lstatSync(path.dirname(copy));
  expect([dir.isDirectory(), dir.uid, dir.mode & 0o7777]).toEqual([true, 0, 0o711]);
}

describe('wiring: links planted where the token copies go are never followed', () => {
  it.each([
    ['a symlink', symlinkSync],
    ['a hard link', linkSync],
  ])(
    '%s at the copy’s name (after the copy, before the share) is replaced, not chowned through',
    async (_, plant) => {
      const b = box();
      await writeTokenCopies(b.root, 'rag', b.used);
      const before = state(b.victim);
      rmSync(b.copy);
      plant(b.victim, b.copy);
      await shareWiring(b.used, GID);
      // The secret keeps its owner, mode and bytes, and (a hard link replaced) its one name.
      expect(state(b.victim)).toEqual(before);
      expectGoodCopy(b.copy);
      expect(lstatSync(b.copy).ino).not.toBe(before.ino);
    },
  );

  it('a symlink at the consumer’s folder is removed and a real folder made; nothing lands outside', async () => {
    const b = box();
    const before = state(b.victim);
    mkdirSync(b.wiring, { recursive: true, mode: 0o711 });
    symlinkSync(path.join(b.victimDir, 'rag'), b.consumer);
    await writeTokenCopies(b.root, 'rag', b.used);
    expect(state(b.victim)).toEqual(before);
    expect(lstatSync(b.consumer).isDirectory()).toBe(true);
    // Again between the copy and the share.
    rmSync(b.consumer, { recursive: true });
    symlinkSync(path.join(b.victimDir, 'rag'), b.consumer);
    await shareWiring(b.used, GID);
    expect(state(b.victim)).toEqual(before);
    expect(readdirSync(path.join(b.victimDir, 'rag'))).toEqual(['llm.token']);
    expectGoodCopy(b.copy);
  });

  it('a symlink at the wiring folder is refused (typed error, hint), before the copy and before the share', async () => {
    const b = box();
    mkdirSync(path.dirname(b.wiring), { recursive: true });
    symlinkSync(b.victimDir, b.wiring);
    const before = state(b.victim);
    const refused = {
      code: 'unsafe-link',
      hint: expect.stringMatching(/remove it.*start the service again/),
    };
    await expect(writeTokenCopies(b.root, 'rag', b.used)).rejects.toMatchObject(refused);
    expect(state(b.victim)).toEqual(before);
    await expect(shareWiring(b.used, GID)).rejects.toMatchObject(refused);
    expect(state(b.victim)).toEqual(before);
    expect(readdirSync(b.victimDir)).toEqual(['rag']);
    expect(readdirSync(path.join(b.victimDir, 'rag'))).toEqual(['llm.token']);
  });

  it('a consumer with no token to copy removes its old folder, never through a link at the wiring folder', async () => {
    const b = box();
    mkdirSync(path.dirname(b.wiring), { recursive: true });
    symlinkSync(b.victimDir, b.wiring);
    const before = state(b.victim);
    await writeTokenCopies(b.root, 'rag', []);
    expect(state(b.victim)).toEqual(before);
    // Without a link: the old folder goes.
    rmSync(b.wiring);
    await writeTokenCopies(b.root, 'rag', b.used);
    await writeTokenCopies(b.root, 'rag', []);
    expect(readdirSync(b.wiring)).toEqual([]);
  });
});

describe('wiring: the copies', () => {
  it('before the share a copy is root’s alone; the share gives it to the consumer’s group', async () => {
    const b = box();
    await writeTokenCopies(b.root, 'rag', b.used);
    const st = lstatSync(b.copy);
    expect([st.isFile(), st.uid, st.mode & 0o077]).toEqual([true, 0, 0]);
    await shareWiring(b.used, GID);
    expectGoodCopy(b.copy);
  });

  it('made again at a start after a reboot emptied /run (the container kept, no second copy step)', async () => {
    const b = box();
    await writeTokenCopies(b.root, 'rag', b.used);
    rmSync(b.wiring, { recursive: true });
    await shareWiring(b.used, GID);
    expectGoodCopy(b.copy);
  });
});
