import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAnswersFile, loadSpecFile, parsePublicKey } from '../../src/core/setup/index.js';
import { sshKeygenFingerprint, sshPublicKey } from './helpers.js';
import { tempDir } from './temp-registry.js';

const dir = tempDir('bp-tui-answers-');

let n = 0;
async function answersFile(content: string, ext = 'yaml'): Promise<string> {
  const file = path.join(dir, `answers-${n++}.${ext}`);
  await writeFile(file, content);
  return file;
}

describe('SSH public keys', () => {
  it('accepts an ed25519 key and computes the same fingerprint as ssh-keygen', async () => {
    const line = sshPublicKey('me@laptop');
    const k = parsePublicKey(`  ${line}\n`);
    if (typeof k === 'string') throw new Error(k);
    expect(k.line).toBe(line);
    expect(k.fingerprint).toBe(sshKeygenFingerprint(line, dir));
  });

  it('refuses DSA, truncated data and a type that does not match the data', () => {
    expect(parsePublicKey('ssh-dss AAAAB3NzaC1kc3MAAACBAP')).toMatch(/DSA keys are not accepted/);
    const [, b64] = sshPublicKey().split(' ');
    expect(parsePublicKey(`ssh-ed25519 ${b64!.slice(0, 20)}`)).toMatch(/truncated/);
    expect(parsePublicKey(`ecdsa-sha2-nistp256 ${b64}`)).toMatch(/does not match its type/);
    expect(parsePublicKey('hello')).toMatch(/must be an OpenSSH public key line/);
  });
});

describe('answers validation names the exact field', () => {
  it('names admin.keys.0 for a bad key and hostname for a bad host name', async () => {
    const file = await answersFile('hostname: -bad-\nadmin: { name: admin, keys: ["ssh-rsa AAAA"] }\n');
    await expect(loadAnswersFile(file)).rejects.toThrow(/hostname: must be letters/);
    await expect(loadAnswersFile(file)).rejects.toThrow(/admin\.keys\.0: /);
  });

  it('names a misspelt field and a bad time zone', async () => {
    const key = sshPublicKey();
    const file = await answersFile(
      JSON.stringify({
        hostname: 'box',
        timezone: 'Mars/Base',
        admin: { name: 'admin', keys: [key] },
        shh: {},
      }),
      'json',
    );
    await expect(loadAnswersFile(file)).rejects.toThrow(/Unrecognized key: "shh"/);
    await expect(loadAnswersFile(file)).rejects.toThrow(/timezone: must be an IANA time zone/);
  });

  it('refuses SSH on without an admin in an appliance spec', async () => {
    // users: left out keeps the box's admins: judged by the plan (apply-partial.test.ts).
    const file = await answersFile('hostname: box\nusers: []\nssh: { enabled: true }\n');
    await expect(loadSpecFile(file)).rejects.toThrow(/ssh\.enabled: SSH needs an admin user/);
  });

  it('requires the fingerprint of a repository key, and refuses a wrong one', async () => {
    const openpgp = await import('openpgp');
    const { publicKey } = await openpgp.generateKey({ userIDs: [{ name: 'Repo' }], format: 'armored' });
    await writeFile(path.join(dir, 'repo.asc'), publicKey);
    const base = `hostname: box\nadmin: { name: admin, keys: ["${sshPublicKey()}"] }\nssh: { enabled: true }\n`;
    const noPin = path.join(dir, 'a.yaml');
    await writeFile(noPin, `${base}repository: { name: main, url: "https://r.example/x", key: repo.asc }\n`);
    await expect(loadAnswersFile(noPin)).rejects.toThrow(
      /repository\.fingerprint: required; this key's fingerprint is [0-9A-F]{40}/,
    );
    const wrong = path.join(dir, 'b.yaml');
    await writeFile(
      wrong,
      `${base}repository: { name: main, url: "https://r.example/x", key: repo.asc, fingerprint: "${'A'.repeat(40)}" }\n`,
    );
    await expect(loadAnswersFile(wrong)).rejects.toMatchObject({ code: 'fingerprint-mismatch', exitCode: 4 });
    const fp = (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint();
    const good = path.join(dir, 'c.yaml');
    // People copy fingerprints with spaces and in lower case.
    const spaced = fp.match(/.{4}/g)!.join(' ');
    await writeFile(
      good,
      `${base}repository: { name: main, url: "https://r.example/x", key: repo.asc, fingerprint: "${spaced}" }\n`,
    );
    const loaded = await loadAnswersFile(good);
    expect(loaded.repositories[0]!.key.fingerprint).toBe(fp.toUpperCase());
  });
});
