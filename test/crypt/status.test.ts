import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { readEncryptionState } from '../../src/core/crypt/index.js';
import { answersSchema } from '../../src/core/setup/schema.js';
import { encryptionLine, encryptionOutcomeText } from '../../src/present/encryption.js';
import { statusText } from '../../src/present/host.js';
import { overviewBody } from '../../src/web/pages.js';
import { rootsPerTest } from '../helpers/roots.js';
import { consolePasswordHash, sshPublicKey } from '../setup/helpers.js';
import { fakeOps } from '../web/fake-ops.js';

const t = rootsPerTest('crypt-status');
const key = sshPublicKey('ops@laptop');
const answers = (encryption: { mode: 'tpm' | 'passphrase' | 'none'; [k: string]: unknown }) => ({
  hostname: 'box-23',
  admin: { name: 'admin', keys: [key], passwordHash: consolePasswordHash() },
  encryption,
});

describe('setup answers: encryption', () => {
  it('is checked by the schema, field by field', () => {
    const issue = (e: { mode: string; [k: string]: unknown }) => {
      const r = answersSchema.safeParse({ ...answers({ mode: 'none' }), encryption: e });
      return r.success ? undefined : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
    };
    expect(issue({ mode: 'tpm' })).toBeUndefined();
    expect(issue({ mode: 'none' })).toBeUndefined();
    expect(
      issue({ mode: 'passphrase', passphrase: 'long enough', recoveryKeyFile: '/root/recovery.txt' }),
    ).toBeUndefined();
    expect(issue({ mode: 'passphrase' })).toBe('encryption.passphrase: is required for mode passphrase');
    expect(issue({ mode: 'passphrase', passphrase: 'short' })).toBe(
      'encryption.passphrase: must be at least 8 characters',
    );
    expect(issue({ mode: 'tpm', passphrase: 'long enough' })).toBe(
      'encryption.passphrase: is only for mode passphrase',
    );
    expect(issue({ mode: 'tpm', recoveryKeyFile: 'relative.txt' })).toBe(
      'encryption.recoveryKeyFile: must be an absolute path',
    );
    expect(issue({ mode: 'luks' })).toMatch(/^encryption\.mode: /);
    expect(issue({ mode: 'tpm', pcrs: [7] })).toMatch(/^encryption: .*pcrs/);
  });

  it('a box with no blank data partition refuses tpm and passphrase before anything is written; none is fine', async () => {
    const box = openBox(t.root);
    const loaded = await box.setup.fromAnswers(answers({ mode: 'tpm' }), t.work, 'answers');
    expect(loaded.encryption).toEqual({ mode: 'tpm' });
    await expect(box.setup.checkEncryption(loaded.encryption!)).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining('no blank data partition'),
    });
    await expect(box.setup.checkEncryption({ mode: 'none' })).resolves.toBeUndefined();
    expect(await box.setup.encrypt({ mode: 'none' })).toEqual({ mode: 'none' });
    expect(await box.setup.encryptionTarget()).toBeUndefined();
  });
});

describe('the encryption state a box reports', () => {
  it('reads crypttab and the TPM under the root when the volume cannot be read', async () => {
    await mkdir(path.join(t.root, 'etc'), { recursive: true });
    await writeFile(
      path.join(t.root, 'etc/crypttab'),
      '# x\ndata UUID=0f-missing none luks,discard,tpm2-device=auto\n',
    );
    await mkdir(path.join(t.root, 'sys/class/tpm/tpm0'), { recursive: true });
    await writeFile(path.join(t.root, 'sys/class/tpm/tpm0/tpm_version_major'), '2\n');
    await mkdir(path.join(t.root, 'dev'));
    await writeFile(path.join(t.root, 'dev/tpmrm0'), '');
    const s = await readEncryptionState({ root: t.root, device: path.join(t.root, 'no-such-device') });
    expect(s).toMatchObject({
      encrypted: true,
      unlockedBy: 'tpm',
      tpmPresent: true,
      name: 'data',
      active: false,
    });
    expect(encryptionLine(s)).toBe(
      'data partition: encrypted (LUKS2), unlocked by the TPM, no recovery key enrolled, not open',
    );
  });

  it('blueprint status (text and --json data) carries it; device names are escaped', async () => {
    const st = await openBox(t.root).status();
    expect(st.encryption).toMatchObject({ encrypted: false, unlockedBy: 'none', recoveryKeyEnrolled: false });
    expect(statusText(st)).toMatch(/\n {2}data partition: not encrypted$/);
    const line = encryptionLine({ ...st.encryption, device: '/dev/x\x1b]0;owned\x07' });
    expect(line).not.toMatch(/[\x00-\x1f]/);
    expect(
      encryptionOutcomeText({
        mode: 'passphrase',
        device: '/dev/vdb',
        recoveryKeyFile: '/root/k\x1b[2J.txt',
      }),
    ).not.toContain('\x1b');
  });

  it('the web overview shows it, HTML-escaped', async () => {
    const ops = fakeOps();
    const o = { ...(await ops.overview()), encryption: `data partition ${ops.hostile}: not encrypted` };
    const page = String(overviewBody(o));
    expect(page).toContain('<dt>Data</dt><dd>data partition &lt;img');
    expect(page).not.toContain('<img');
  });
});
