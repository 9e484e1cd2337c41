/**
 * Setup's marker (var/lib/blueprint/setup-done, written synced) is its commit: once it is there the
 * box is set up and the wizard is not offered again. So every change it stands for must be on the
 * disk before it: a unit link lost to a power cut after it left the firewall (nftables.service's
 * link) or SSH off at every boot of a box that says it is set up, an unlink lost left SSH on, a
 * home or ~/.ssh lost left the admin without a login. Files were synced with their folders; links,
 * new folders and removals were not. Read from the program's own calls (test/helpers/power-cut).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SSH_WANTS } from '../../src/core/setup/resources.js';
import { tempDir } from '../helpers/pkg.js';
import { hasStrace, traceUntil } from '../helpers/power-cut.js';
import { consolePasswordHash, sshPublicKey } from './helpers.js';

/** Whether `dir` was fsync'ed after the last line that made or removed `name` (one of its entries). */
function syncedAfterChange(lines: string[], dir: string, name: string): boolean {
  const entry = new RegExp(`"/proc/self/fd/\\d+/${name.replace(/\./g, '\\.')}"`);
  const changed = lines.findLastIndex((l) => /\b(?:rename|mkdir|unlink)/.test(l) && entry.test(l));
  expect(changed, `a change of ${dir}/${name}`).toBeGreaterThan(0);
  return lines.slice(changed + 1).some((l) => new RegExp(`\\bfsync\\(\\d+<${dir}>\\)`).test(l));
}

describe.skipIf(!hasStrace)('setup survives a power cut after its marker', () => {
  const answers = (work: string, ssh: boolean) => {
    const file = path.join(work, `answers-${ssh}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        hostname: 'durable-box',
        timezone: 'Europe/Paris',
        admin: { name: 'admin', keys: [sshPublicKey('power@cut')], passwordHash: consolePasswordHash() },
        ssh: { enabled: ssh },
      }),
    );
    return file;
  };
  const setup = (root: string, file: string) =>
    traceUntil(['--root', root, '--yes', 'setup', '--answers', file], /\/setup-done"/, [
      'mkdir',
      'mkdirat',
      'unlink',
      'unlinkat',
    ]);

  it('syncs the folder of every link, new folder and removal before setup-done', () => {
    const root = tempDir('bp-root-');
    const work = tempDir('bp-work-');
    const lines = setup(root, answers(work, true));
    const at = (rel: string) => path.join(root, rel);
    const want: [string, string][] = [
      [at('etc/systemd/system/sysinit.target.wants'), 'nftables.service'],
      [at(path.dirname(SSH_WANTS)), 'ssh.service'],
      [at('etc'), 'localtime'],
      [at('home'), 'admin'],
      [at('home/admin'), '.ssh'],
      [at('etc/systemd/system'), 'sysinit.target.wants'],
    ];
    const lost = want.filter(([dir, name]) => !syncedAfterChange(lines, dir, name));
    expect(
      lost.map(([d, n]) => path.relative(root, path.join(d, n))),
      'changes not synced before setup-done',
    ).toEqual([]);
  });

  it('syncs a removed unit link (SSH turned off) before setup-done', () => {
    const root = tempDir('bp-root-');
    const work = tempDir('bp-work-');
    // SSH on at boot before this setup (a box imaged with it on), which turns it off.
    mkdirSync(path.join(root, path.dirname(SSH_WANTS)), { recursive: true });
    symlinkSync('/lib/systemd/system/ssh.service', path.join(root, SSH_WANTS));
    const lines = setup(root, answers(work, false));
    expect(syncedAfterChange(lines, path.join(root, path.dirname(SSH_WANTS)), 'ssh.service')).toBe(true);
  });
});
