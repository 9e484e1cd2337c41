/**
 * SSH off never sets up a box nobody can log in to (QA18; the lead's decision after QA14): the admin
 * then logs in on the console and the serial line with a console password. `setup --answers` with
 * SSH off takes it as a crypt(3) hash (`admin.passwordHash`, never the password) and refuses the
 * answers without one, naming the field; the hash is written to the admin's shadow line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { requireExe } from '../tui/tmux.js';
import { sshPublicKey } from './helpers.js';

const t = rootsPerTest('console-pw');
const key = sshPublicKey('ops@laptop');
const answers = (extra: string) => `hostname: box-07\nadmin: { name: ops, keys: ["${key}"]${extra} }\n`;
/** SHA-512-crypt by OpenSSL, the password on stdin; with `salt`, the hash that salt gives. */
const crypt = (password: string, salt?: string) =>
  execFileSync('openssl', ['passwd', '-6', ...(salt ? ['-salt', salt] : []), '-stdin'], {
    input: `${password}\n`,
  })
    .toString()
    .trim();

it('refuses SSH off without a console password hash, naming the field; nothing is written', async () => {
  requireExe();
  const file = path.join(t.work, 'answers.yaml');
  await writeFile(file, answers(''));
  const r = await run(['--root', t.root, 'setup', '--answers', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('admin.passwordHash');
  expect(r.stderr).toContain('openssl passwd -6');
  expect(existsSync(path.join(t.root, 'etc/shadow'))).toBe(false);
});

it('refuses a password in place of a hash, and a hash that would break the shadow line', async () => {
  requireExe();
  const file = path.join(t.work, 'answers.yaml');
  for (const bad of ['Correct-Horse-9', `${crypt('x-y-z-1234')}:0:`, '$6$salt$short', '*', '!']) {
    await writeFile(file, answers(`, passwordHash: ${JSON.stringify(bad)}`));
    const r = await run(['--root', t.root, 'setup', '--answers', file]);
    expect(r.code, bad).toBe(2);
    expect(r.stderr).toContain('admin.passwordHash');
    expect(existsSync(path.join(t.root, 'etc/shadow'))).toBe(false);
  }
});

it('with SSH off and a hash: the admin shadow line holds it, and the last line says how to log in', async () => {
  requireExe();
  const hash = crypt('Correct-Horse-9');
  const file = path.join(t.work, 'answers.yaml');
  await writeFile(file, answers(`, passwordHash: "${hash}"`));
  const r = await run(['--root', t.root, 'setup', '--answers', file]);
  expect(r.code, r.stderr).toBe(0);
  const line = (await readFile(path.join(t.root, 'etc/shadow'), 'utf8'))
    .split('\n')
    .find((l) => l.startsWith('ops:'))!;
  const written = line.split(':')[1]!;
  expect(written).toBe(hash);
  // What login(1)'s pam_unix does: the same scheme and salt give the same hash for the password.
  expect(crypt('Correct-Horse-9', written.split('$')[2])).toBe(written);
  expect(r.stdout).toContain(
    'SSH is off: ops logs in on the console or the serial line with the console password.',
  );
  expect(r.stdout).not.toContain('nobody can log in');
});
