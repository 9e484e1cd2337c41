/**
 * `setup --help` shows how to make the console password's crypt(3) hash with openssl. Its template
 * text turned the command's `'%s\n'` into a line break (the command cut in two) and printed the salt
 * as `"rounds=500000$$(openssl rand -hex 8)"`, where a shell reads `$$` as its process id: pasted,
 * it made no hash of 500,000 rounds. Runs the command as the help prints it, with /bin/sh: the
 * hash is SHA-512 crypt of 500,000 rounds with a random 16-digit salt, and is of that password.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';

const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });

describe('setup --help: the password hash command', () => {
  it('makes a 500,000-round SHA-512 hash of the password when pasted', async () => {
    const help = await run(['setup', '--help']);
    expect(help.code).toBe(0);
    const line = help.stdout.split('\n').find((l) => l.includes('printf') && l.includes('openssl passwd'));
    expect(line).toBeDefined();
    const cmd = line!
      .slice(line!.indexOf('(') + 1, line!.lastIndexOf(';'))
      .replace("'PASSWORD'", "'correct horse'");
    const made = sh(cmd);
    expect(made.status, made.stderr).toBe(0);
    const hash = made.stdout.trim();
    expect(hash).toMatch(/^\$6\$rounds=500000\$[0-9a-f]{16}\$[./0-9A-Za-z]{86}$/);
    const salt = hash.split('$')[3];
    const again = sh(
      `printf '%s\\n' 'correct horse' | openssl passwd -6 -stdin -salt 'rounds=500000$${salt}'`,
    );
    expect(again.stdout.trim()).toBe(hash);
  });
});
