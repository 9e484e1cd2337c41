import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { blueprintExe, bpkg, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

let key: TestKey;
let repo: string;

/** Many files and a few MB, so kills land in the middle of real work. */
function files(version: string): Record<string, Buffer | string> {
  const out: Record<string, Buffer | string> = { VERSION: `${version}\n` };
  for (let i = 0; i < 200; i++) out[`data/${i % 10}/f${i}.bin`] = randomBytes(20 * 1024);
  return out;
}

beforeAll(async () => {
  ({ key, repo } = await signedRepo([
    { name: 'crashy', version: '1.0.0', files: files('1.0.0') },
    { name: 'crashy', version: '2.0.0', files: files('2.0.0') },
  ]));
});

/** The state after a crash must be exactly `old` or `new` (undefined = not installed), and verified. */
async function expectConsistent(
  root: string,
  allowed: Array<string | undefined>,
): Promise<string | undefined> {
  const list = await bpkg(root, ['list', '--json']); // any bpkg run recovers first
  expect(list.code, list.stderr).toBe(0);
  const pkgs = JSON.parse(list.stdout) as Array<{ name: string; version: string }>;
  const version = pkgs.find((p) => p.name === 'crashy')?.version;
  expect(allowed).toContain(version);
  expect(existsSync(path.join(root, 'var/lib/blueprint/pkg/journal.json'))).toBe(false);
  expect(existsSync(path.join(root, 'opt/blueprint/.staging'))).toBe(false);
  const verify = await bpkg(root, ['verify']);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const dir = path.join(root, 'opt/blueprint/crashy');
  if (version) {
    expect(readlinkSync(path.join(dir, 'current'))).toBe(version);
    expect(readFileSync(path.join(dir, 'current/VERSION'), 'utf8')).toBe(`${version}\n`);
  } else {
    expect(existsSync(dir)).toBe(false);
  }
  return version;
}

const faultPoints = ['journaled', 'staged', 'committed', 'switched'] as const;
const committed = new Set(['committed', 'switched']);

describe('SIGKILL during a transaction leaves the old state or the new one', () => {
  for (const point of faultPoints) {
    it(`fresh install killed at "${point}"`, async () => {
      const root = await trustingRoot(key, repo);
      const r = await bpkg(root, ['install', 'crashy@1.0.0'], { BLUEPRINT_FAULT_INJECT: point });
      expect(r.code).toBe(137);
      expect(await expectConsistent(root, [committed.has(point) ? '1.0.0' : undefined])).toBe(
        committed.has(point) ? '1.0.0' : undefined,
      );
    });

    it(`upgrade killed at "${point}"`, async () => {
      const root = await trustingRoot(key, repo);
      expect((await bpkg(root, ['install', 'crashy@1.0.0'])).code).toBe(0);
      const r = await bpkg(root, ['install', 'crashy@2.0.0'], { BLUEPRINT_FAULT_INJECT: point });
      expect(r.code).toBe(137);
      const want = committed.has(point) ? '2.0.0' : '1.0.0';
      expect(await expectConsistent(root, [want])).toBe(want);
      if (want === '2.0.0') expect((await bpkg(root, ['rollback', 'crashy'])).code).toBe(0);
    });

    it(`remove killed at "${point}"`, async () => {
      const root = await trustingRoot(key, repo);
      expect((await bpkg(root, ['install', 'crashy@1.0.0'])).code).toBe(0);
      const r = await bpkg(root, ['remove', 'crashy'], { BLUEPRINT_FAULT_INJECT: point });
      expect(r.code).toBe(137);
      await expectConsistent(root, [committed.has(point) ? undefined : '1.0.0']);
    });
  }

  it('kills from outside at many moments of an upgrade', async () => {
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['install', 'crashy@1.0.0'])).code).toBe(0);
    const seen = new Set<string | undefined>();
    for (const delay of [10, 80, 160, 300, 600]) {
      const child = spawn(blueprintExe, ['--root', root, 'install', 'crashy@2.0.0'], {
        argv0: 'bpkg',
        stdio: 'ignore',
      });
      // Listen before waiting: on a fast machine the install may be over before the kill.
      const closed = new Promise((r) => child.once('close', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await closed;
      const v = await expectConsistent(root, ['1.0.0', '2.0.0']);
      seen.add(v);
      if (v === '2.0.0') expect((await bpkg(root, ['rollback', 'crashy'])).code).toBe(0);
    }
    expect(seen.size).toBeGreaterThan(0);
  }, 300_000);

  it('Ctrl-C (SIGINT) cancels cleanly', async () => {
    const root = await trustingRoot(key, repo);
    const child = spawn(blueprintExe, ['--root', root, 'install', 'crashy@1.0.0'], {
      argv0: 'bpkg',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stderr.once('data', () => child.kill('SIGINT'));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect([0, 130]).toContain(code);
    if (code === 130) expect(stderr).toMatch(/Interrupted/);
    await expectConsistent(root, [code === 0 ? '1.0.0' : undefined, '1.0.0']);
  });
});

describe('storage failures: clear error, state unchanged', () => {
  const exec = async (cmd: string) => {
    const { execSync } = await import('node:child_process');
    return execSync(cmd, { stdio: 'pipe' }).toString();
  };
  let canMount = false;
  beforeAll(async () => {
    const probe = tempDir();
    try {
      await exec(`mount -t tmpfs -o size=1m tmpfs ${probe} && umount ${probe}`);
      canMount = true;
    } catch {}
  });

  it('full disk while unpacking', async (t) => {
    if (!canMount) t.skip('needs root and mount(2) to make a small tmpfs');
    const { repo: bigRepo } = await signedRepo(
      [{ name: 'big', version: '1.0.0', files: { noise: randomBytes(8 * 1024 * 1024) } }],
      key,
    );
    const root = await trustingRoot(key, bigRepo);
    await exec(`mkdir -p ${root}/opt && mount -t tmpfs -o size=4m tmpfs ${root}/opt`);
    try {
      const r = await bpkg(root, ['--json', 'install', 'big']);
      expect(r.code).toBe(7);
      expect(JSON.parse(r.stdout).error).toMatchObject({
        code: 'disk-full',
        message: expect.stringContaining('No space left'),
      });
      expect(readdirSync(path.join(root, 'opt'))).toEqual(expect.not.arrayContaining(['blueprint/big']));
      expect(JSON.parse((await bpkg(root, ['list', '--json'])).stdout)).toEqual([]);
      expect(existsSync(path.join(root, 'opt/blueprint/.staging'))).toBe(false);
      expect(existsSync(path.join(root, 'opt/blueprint/big'))).toBe(false);
    } finally {
      await exec(`umount ${root}/opt`);
    }
  });

  it('read-only root', async (t) => {
    if (!canMount) t.skip('needs root and mount(2) to make a read-only tmpfs');
    const root = tempDir('bp-ro-');
    await exec(`mount -t tmpfs -o size=1m,ro tmpfs ${root}`);
    try {
      const r = await bpkg(root, ['--json', 'repo', 'add', 'main', repo]);
      expect(r.code).toBe(7);
      expect(JSON.parse(r.stdout).error).toMatchObject({
        code: 'not-writable',
        hint: expect.stringContaining('--root'),
      });
    } finally {
      await exec(`umount ${root}`);
    }
  });
});
