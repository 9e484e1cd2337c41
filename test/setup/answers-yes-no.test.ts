/**
 * QA22's scripted walk: an admin used to Ansible's YAML writes `ssh: { enabled: yes }`. YAML 1.2,
 * which blueprint reads, takes yes/no/on/off as words, so the file was refused (exit 2, rightly,
 * nothing written) with 'ssh.enabled: Invalid input: expected boolean, received string', which
 * does not say what to write. Now it says the field takes true or false and why yes is not one,
 * for apply's description and setup's answers alike. The real executable.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { sshPublicKey } from './helpers.js';

describe('yes or no where true or false is meant', () => {
  it.each([
    ['apply', 'hostname: box-01\nssh: { enabled: yes }\ndashboard: { enabled: off }\n'],
    [
      'setup',
      `hostname: box-01\nadmin: { name: ops, keys: ["${sshPublicKey('ops@laptop')}"] }\nssh: { enabled: yes }\n`,
    ],
  ])('%s: exit 2, the field named with what to write, nothing written', async (cmd, text) => {
    const work = tempDir('bp-yes-no-');
    const file = path.join(work, 'box.yaml');
    writeFileSync(file, text);
    const root = path.join(work, 'root');
    const r = await run(['--root', root, '--json', cmd, cmd === 'apply' ? '-f' : '--answers', file]);
    expect(r.code, r.stdout).toBe(2);
    const { message } = (JSON.parse(r.stdout) as { error: { message: string } }).error;
    expect(message).toMatch(/ssh\.enabled: must be true or false/);
    expect(message).toMatch(/"yes"/);
    if (cmd === 'apply') expect(message).toMatch(/dashboard\.enabled: must be true or false/);
    expect(existsSync(root)).toBe(false);
  });
});
