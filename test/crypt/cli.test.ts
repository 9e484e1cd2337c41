import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { consolePasswordHash, sshPublicKey } from '../setup/helpers.js';
import { requireExe } from '../tui/tmux.js';

const t = rootsPerTest('crypt-cli');
const key = sshPublicKey('fleet@ops');

describe('blueprint setup --answers with encryption, and status, through the executable', () => {
  it('refuses tpm where there is no blank data partition, before writing anything; none applies', async () => {
    requireExe();
    const file = path.join(t.work, 'answers.yaml');
    await writeFile(
      file,
      `hostname: box-23\nadmin: { name: admin, keys: ["${key}"], passwordHash: "${consolePasswordHash()}" }\nencryption: { mode: tpm }\n`,
    );
    const r = await run(['--root', t.root, 'setup', '--answers', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('encryption.mode tpm: this box has no blank data partition to encrypt');
    expect(await readdir(t.root)).toEqual([]);

    await writeFile(
      file,
      `hostname: box-23\nadmin: { name: admin, keys: ["${key}"], passwordHash: "${consolePasswordHash()}" }\nencryption: { mode: passphrase }\n`,
    );
    const bad = await run(['--root', t.root, 'setup', '--answers', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('encryption.passphrase: is required for mode passphrase');

    await writeFile(
      file,
      `hostname: box-23\nadmin: { name: admin, keys: ["${key}"], passwordHash: "${consolePasswordHash()}" }\nencryption: { mode: none }\n`,
    );
    const ok = await run(['--root', t.root, '--json', 'setup', '--answers', file]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).encryption).toEqual({ mode: 'none' });

    const st = await run(['--root', t.root, '--json', 'status']);
    expect(JSON.parse(st.stdout).encryption).toMatchObject({
      encrypted: false,
      unlockedBy: 'none',
      recoveryKeyEnrolled: false,
    });
    const text = await run(['--root', t.root, 'status']);
    expect(text.stdout).toContain('data partition: not encrypted');
  });
});
