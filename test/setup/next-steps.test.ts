/**
 * `blueprint setup --answers` (a BLUEPRINT stick, or by hand) ends by saying how the admin logs in,
 * or, with SSH off (the answers' default), that nobody can: the admin it makes has no password and
 * root is locked (QA14's walk: it said only "23 change(s) applied"). `apply` says it when it turns SSH
 * off on a box with an admin.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { requireExe } from '../tui/tmux.js';
import { consolePasswordHash, sshPublicKey } from './helpers.js';

const t = rootsPerTest('setup-next');
const key = sshPublicKey('ops@laptop');

it('says the ssh line with SSH on, and the console login with SSH off', async () => {
  requireExe();
  const file = path.join(t.work, 'answers.yaml');
  await writeFile(file, `hostname: box-05\nadmin: { name: ops, keys: ["${key}"] }\nssh: { enabled: true }\n`);
  const on = await run(['--root', t.root, 'setup', '--answers', file]);
  expect(on.code).toBe(0);
  expect(on.stdout).toContain('Next: from your computer, ssh ops@box-05');
  expect(on.stdout).not.toContain('nobody can log in');

  // SSH off takes a console password's hash (QA18; test/setup/console-password).
  await writeFile(
    file,
    `hostname: box-05\nadmin: { name: ops, keys: ["${key}"], passwordHash: "${consolePasswordHash()}" }\n`,
  );
  const off = await run(['--root', t.root, 'setup', '--answers', file]);
  expect(off.code).toBe(0);
  expect(off.stdout).toContain(
    'SSH is off: ops logs in on the console or the serial line with the console password.',
  );
  // --json: one document, as before.
  const json = await run(['--root', t.root, '--json', 'setup', '--answers', file]);
  expect(JSON.parse(json.stdout)).toMatchObject({ changed: [] });
});

it('apply that turns SSH off on a box with an admin says nobody can log in, before and after', async () => {
  // QA14's walk left it to the lead: a description's `ssh: { enabled: false }` is the admin's to
  // give, but on a box whose admin logs in only over SSH it is the last login; said, not refused.
  requireExe();
  const file = path.join(t.work, 'box.yaml');
  const users = `users: [{ name: ops, admin: true, keys: ["${key}"] }]`;
  await writeFile(file, `hostname: box-06\n${users}\nssh: { enabled: true }\n`);
  expect((await run(['--root', t.root, 'apply', '-f', file])).code).toBe(0);

  await writeFile(file, `hostname: box-06\n${users}\nssh: { enabled: false }\n`);
  const dry = await run(['--root', t.root, 'apply', '-f', file, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('SSH is off and ops has no password: nobody can log in to this box.');
  const off = await run(['--root', t.root, 'apply', '-f', file]);
  expect(off.code).toBe(0);
  expect(off.stdout).toContain('SSH is off and ops has no password: nobody can log in to this box.');
  // Applied again (SSH off already): nothing changes, nothing said.
  const again = await run(['--root', t.root, 'apply', '-f', file]);
  expect(again.stdout).not.toContain('nobody can log in');
});
