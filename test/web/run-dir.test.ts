import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps } from './fake-ops.js';

/**
 * The dashboard's run folder holds its socket: whoever else can change that folder can rename the
 * socket away and listen at its name, and an admin's forwarded browser then talks to them. So the
 * dashboard starts only in a folder of its own that no one else can write (folder-writers'
 * judgement with no allowance: not a sticky one, not a group's).
 */

const NOBODY = 65534;
const root = process.geteuid?.() === 0;

async function runDir(mode: number, owner?: [number, number]): Promise<string> {
  const dir = path.join(tempDir('bp-web-run-'), 'run/blueprint');
  await mkdir(dir, { recursive: true });
  if (owner) await chown(dir, owner[0], owner[1]);
  await chmod(dir, mode);
  return dir;
}

const start = (dir: string) => startDashboard({ runDir: dir, ops: fakeOps() });

describe('the dashboard starts only in a run folder no one else can change', () => {
  it('one all may write, sticky or not, is refused, and no socket is made there', async () => {
    for (const mode of [0o777, 0o1777]) {
      const dir = await runDir(mode);
      await expect(start(dir)).rejects.toThrow(/writable by all users/);
      expect(existsSync(path.join(dir, 'dashboard.sock'))).toBe(false);
    }
  });

  it.skipIf(!root)('one another group may write is refused, even our own', async () => {
    await expect(start(await runDir(0o775, [0, NOBODY]))).rejects.toThrow(`writable by group ${NOBODY}`);
    await expect(start(await runDir(0o775, [0, 0]))).rejects.toThrow('writable by group 0');
  });

  it.skipIf(!root)('one another user owns is refused', async () => {
    await expect(start(await runDir(0o755, [NOBODY, NOBODY]))).rejects.toThrow(/owned by this user/);
  });

  it('a link in its place is refused, not followed', async () => {
    const real = await runDir(0o755);
    const link = path.join(tempDir('bp-web-run-'), 'blueprint');
    await symlink(real, link);
    await expect(start(link)).rejects.toThrow(/owned by this user/);
    expect(existsSync(path.join(real, 'dashboard.sock'))).toBe(false);
  });

  it('one below a folder all may write (not sticky) is refused: they could move it away and listen at its socket', async () => {
    const shared = path.join(tempDir('bp-web-run-'), 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const dir = path.join(shared, 'blueprint');
    await expect(start(dir)).rejects.toThrow(`${shared} is writable by all users`);
    expect(existsSync(path.join(dir, 'dashboard.sock'))).toBe(false);
  });

  it.skipIf(!root)(
    'one below a folder another user owns, or another group may write, is refused',
    async () => {
      const theirs = path.join(tempDir('bp-web-run-'), 'theirs');
      await mkdir(theirs);
      await chown(theirs, NOBODY, NOBODY);
      await expect(start(path.join(theirs, 'blueprint'))).rejects.toThrow(
        `${theirs} is owned by uid ${NOBODY}`,
      );
      const group = path.join(tempDir('bp-web-run-'), 'group');
      await mkdir(group);
      await chown(group, 0, NOBODY);
      await chmod(group, 0o775);
      await expect(start(path.join(group, 'blueprint'))).rejects.toThrow(`writable by group ${NOBODY}`);
    },
  );

  it('one below a sticky folder (/tmp) is used: others cannot move it there', async () => {
    const sticky = path.join(tempDir('bp-web-run-'), 'sticky');
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    const dash = await start(path.join(sticky, 'blueprint'));
    expect(existsSync(dash.socket)).toBe(true);
    await dash.close();
  });

  it('its own 0755 folder is used', async () => {
    const dash = await start(await runDir(0o755));
    expect(existsSync(dash.socket)).toBe(true);
    await dash.close();
  });
});
