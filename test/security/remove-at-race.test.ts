/**
 * removeAt (system/safe-write.ts) takes a name out of a folder another user owns: a provider
 * module's data folder (client-tokens when its last consumer goes, access-token when the admin
 * removes it), a user's home (setup's `absent` files). It was Node's fs.promises.rm(force,
 * recursive: false), which is the npm rimraf inside: `recursive: false` is only a first lstat
 * that refuses a folder; the walk after it lstat()s the name again and, for a folder, rmdir()s it,
 * readdir()s it on ENOTEMPTY (following a link at the name by then) and unlinks every entry it
 * listed, by path. The folder's owner, swapping the name between those calls (a plain file for the
 * first lstat, a non-empty folder for the second, a link for readdir), had root delete the files
 * of any host folder. The owner's swaps are made here at the moments a racing process aims for,
 * through node:fs's callbacks, which the walk calls; what is deleted is real.
 */

import { execFileSync } from 'node:child_process';
import fs, {
  existsSync,
  lstatSync,
  mkdirSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeClientTokens } from '../../src/core/services/client-tokens.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { layout } from '../../src/core/system/paths.js';
import { removeAt } from '../../src/core/system/safe-write.js';
import { tempDir } from '../setup/temp-registry.js';

type Step = (op: 'lstat' | 'readdir', p: string) => void;
let attacker: Step | undefined;
// Before anything loads Node's rimraf (it takes node:fs's functions when first loaded).
const real = { lstat: fs.lstat, readdir: fs.readdir };
(fs as { lstat: unknown }).lstat = function (this: unknown, p: fs.PathLike, ...rest: unknown[]) {
  attacker?.('lstat', String(p));
  return (real.lstat as (...a: unknown[]) => void).call(this, p, ...rest);
};
(fs as { readdir: unknown }).readdir = function (this: unknown, p: fs.PathLike, ...rest: unknown[]) {
  attacker?.('readdir', String(p));
  return (real.readdir as (...a: unknown[]) => void).call(this, p, ...rest);
};
afterEach(() => {
  attacker = undefined;
});

let victim: string;
beforeEach(() => {
  victim = tempDir('bp-remove-victim-'); // a host folder of root's: /etc, /root/.ssh
  writeFileSync(path.join(victim, 'shadow'), 'root:x:0:0\n');
});

/** The owner of `folder` swapping `name`: a file at the first look, a full folder at the second, a link to the victim for readdir. */
function swapper(folder: string, name: string): Step {
  let looks = 0;
  const at = path.join(folder, name);
  return (op, p) => {
    if (!p.endsWith(`/${name}`)) return;
    if (op === 'lstat' && ++looks === 2) {
      unlinkSync(at);
      mkdirSync(at);
      writeFileSync(path.join(at, 'keep'), 'x');
    }
    if (op === 'readdir' && lstatSync(at).isDirectory()) {
      renameSync(at, path.join(folder, `.${name}.aside`));
      symlinkSync(victim, at);
    }
  };
}

describe('attack: a name swapped while root removes it', () => {
  it("the provider's folder, when its last consumer goes: client-tokens removed, no host file", async () => {
    const root = tempDir('bp-remove-race-');
    mkdirSync(layout(root).stateDir, { recursive: true });
    mkdirSync(path.join(root, 'opt', 'llm'), { recursive: true });
    const spec = parseService({
      image: { id: `sha256:${'a'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/llm', file: 'api.sock', clientTokens: true },
      data: '/var/lib/llm',
    });
    await writeRegistration(root, {
      name: 'llm',
      version: '1.0.0',
      prefix: path.join(root, 'opt', 'llm'),
      spec,
      approvals: { outboundNetwork: false },
      imageId: spec.image.id,
      uses: [],
    });
    const data = serviceDirs(root, 'llm').dataDir;
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'client-tokens'), 'rag AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n');
    attacker = swapper(data, 'client-tokens');
    // No module uses llm any more (dropConsumer, or llm's start): the file goes.
    await writeClientTokens(root, 'llm').catch(() => undefined);
    expect(existsSync(path.join(victim, 'shadow'))).toBe(true);
    expect(lstatSync(path.join(data, 'client-tokens'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it("a user's home (setup's absent file): the name removed, nothing through it", async () => {
    const home = tempDir('bp-remove-home-');
    writeFileSync(path.join(home, 'authorized_keys'), 'ssh-ed25519 AAAA\n');
    attacker = swapper(home, 'authorized_keys');
    const dir = await open(home, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      await removeAt(dir, 'authorized_keys').catch(() => undefined);
    } finally {
      await dir.close();
    }
    expect(existsSync(path.join(victim, 'shadow'))).toBe(true);
    expect(lstatSync(path.join(home, 'authorized_keys'), { throwIfNoEntry: false })).toBeUndefined();
  });
});

describe('removeAt', () => {
  let dir: Awaited<ReturnType<typeof open>>;
  let folder: string;
  beforeEach(async () => {
    folder = tempDir('bp-remove-at-');
    dir = await open(folder, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  });
  afterEach(async () => {
    await dir.close();
  });

  it('removes a file, a link (not its target), a FIFO; nothing there is fine', async () => {
    writeFileSync(path.join(folder, 'f'), 'x');
    symlinkSync(path.join(victim, 'shadow'), path.join(folder, 'l'));
    execFileSync('mkfifo', [path.join(folder, 'p')]);
    for (const name of ['f', 'l', 'p', 'none']) await removeAt(dir, name);
    expect(fs.readdirSync(folder)).toEqual([]);
    expect(existsSync(path.join(victim, 'shadow'))).toBe(true);
  });

  it('a folder at the name is not walked: refused (EISDIR), left whole', async () => {
    mkdirSync(path.join(folder, 'd'));
    writeFileSync(path.join(folder, 'd', 'inside'), 'x');
    await expect(removeAt(dir, 'd')).rejects.toMatchObject({ code: 'EISDIR' });
    expect(existsSync(path.join(folder, 'd', 'inside'))).toBe(true);
  });
});
