// The official catalog on the image (issue 18): the modules built at image-build time into a signed
// folder repository at /usr/share/blueprint/catalog, trusted for that repository only, so a box
// with no network can search and install them. Checked in the root filesystem, then in a booted
// guest whose network reaches nothing (qemu restrict=on; only the forwarded SSH port comes in).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPublicKeys, verifyDetached } from '../../src/core/pkg/signature.js';
import { imageDir, inRoot, provisioningDisk, readRoot, requireImage, rootfs } from './image.js';
import { Guest } from './qemu.js';

const CATALOG = 'usr/share/blueprint/catalog';
const MODULES = ['hello', 'hello-data', 'vectors'];

interface Index {
  repository: string;
  version: number;
  generated: string;
  expires: string;
  packages: { name: string; path: string; sha256: string }[];
}

describe('the offline catalog in the root filesystem', () => {
  beforeAll(requireImage);
  const dir = path.join(rootfs, CATALOG);

  it('is a folder repository signed by the one key beside it', async () => {
    const keys = readdirSync(path.join(dir, 'keys'));
    expect(keys).toEqual(['blueprint-catalog.pub.asc']);
    const keyText = readFileSync(path.join(dir, 'keys', keys[0]!), 'utf8');
    const bytes = readFileSync(path.join(dir, 'index.json'));
    const check = await verifyDetached(
      bytes,
      readFileSync(path.join(dir, 'index.json.asc')),
      await readPublicKeys(keyText),
      'catalog index',
    );
    const index = JSON.parse(bytes.toString('utf8')) as Index;
    expect(index.repository).toBe('blueprint-catalog');
    expect([...new Set(index.packages.map((p) => p.name))].sort()).toEqual(MODULES);
    for (const p of index.packages) {
      const file = readFileSync(path.join(dir, p.path));
      expect(createHash('sha256').update(file).digest('hex'), p.path).toBe(p.sha256);
      readFileSync(path.join(dir, `${p.path}.asc`));
    }
    // Valid for the image's support window, not the 30 days of a network repository (README).
    const days = (Date.parse(index.expires) - Date.parse(index.generated)) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(1000);
    // The version is the build time: a later image's catalog is newer than this one.
    expect(index.version * 1000).toBeGreaterThan(Date.parse('2026-01-01'));
    expect(index.version * 1000).toBeLessThanOrEqual(Date.parse(index.generated) + 60_000);

    // Trusted on the box for the repository `catalog` alone, its index accepted at build time.
    const repo = JSON.parse(readRoot('etc/blueprint/repos.d/catalog.json'));
    expect(repo).toEqual({
      name: 'catalog',
      url: 'file:///usr/share/blueprint/catalog',
      keys: [check.signer.toLowerCase()],
      repository: 'blueprint-catalog',
    });
    const trusted = JSON.parse(inRoot('/usr/local/bin/blueprint', ['--json', 'pkg', 'key', 'list'])) as {
      fingerprint: string;
    }[];
    expect(trusted.map((k) => k.fingerprint.toLowerCase())).toEqual([check.signer.toLowerCase()]);
  });

  it('holds no private key anywhere in the image', () => {
    const grep = (needle: string) =>
      execFileSync('grep', ['-rlF', '-e', needle, rootfs], { encoding: 'utf8', maxBuffer: 16 << 20 })
        .split('\n')
        .filter(Boolean);
    const grepOrNone = (needle: string) => {
      try {
        return grep(needle);
      } catch (err) {
        if ((err as { status?: number }).status === 1) return []; // grep: no match
        throw err;
      }
    };
    // No armoured private key block with key data after it (programs such as gpg only carry the
    // header line as a string)...
    const armoured = /-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n(\r?\n|[\w-]+: [^\n]*\n)*[A-Za-z0-9+/=]{40,}/;
    const blocks = grepOrNone('-----BEGIN PGP PRIVATE KEY BLOCK-----').filter((f) =>
      armoured.test(readFileSync(f, 'latin1')),
    );
    expect(blocks).toEqual([]);
    // ...and the signing key's own secret material (the cached key a default build signs with)
    // in no form the image holds it.
    const secret = path.resolve(imageDir, '../image-cache/catalog-key/signing-key.asc');
    if (existsSync(secret)) {
      const body = readFileSync(secret, 'utf8')
        .split('\n')
        .find((l) => /^[A-Za-z0-9+/=]{60,}$/.test(l));
      expect(body).toBeDefined();
      expect(grepOrNone(body!)).toEqual([]);
    }
  });
});

describe('the offline catalog on a booted box with no network', () => {
  const guest = new Guest();
  const key = path.join(guest.dir, 'admin_ed25519');
  const asRoot = (command: string) =>
    guest.ssh('admin', [`sudo -n sh -c '${command}'`], ['-i', key, '-o', 'IdentitiesOnly=yes'], {
      timeoutMs: 300_000,
    });

  beforeAll(async () => {
    requireImage();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin@catalog', '-f', key]);
    const disk = provisioningDisk(guest.dir, {
      hostname: 'bp-offline',
      admin: { name: 'admin', keys: [readFileSync(`${key}.pub`, 'utf8').trim()] },
      ssh: { enabled: true },
    });
    await guest.start({ disks: [disk], restrict: true });
  });
  afterAll(() => guest.stop());

  it('lists the catalog with bpkg search, before any update', { timeout: 600_000 }, async () => {
    await guest.waitForSsh('admin', ['-i', key, '-o', 'IdentitiesOnly=yes'], 140);
    const search = await asRoot('bpkg --json search');
    expect(search.code, search.stderr).toBe(0);
    const names = (JSON.parse(search.stdout) as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(MODULES));
  });

  it('installs hello from it with no network', { timeout: 600_000 }, async () => {
    // restrict=on: qemu's DHCP gives an address but no router; nothing beyond the link answers.
    const route = await asRoot('ip -4 route show default');
    expect(route.code).toBe(0);
    expect(route.stdout.trim()).toBe('');
    const install = await asRoot('bpkg --json --yes install hello');
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
    const list = await asRoot('bpkg --json list');
    expect((JSON.parse(list.stdout) as { name: string }[]).map((p) => p.name)).toContain('hello');
    const update = await asRoot('bpkg --json update');
    expect(update.code, update.stderr).toBe(0);
    expect(JSON.parse(update.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ repo: 'catalog', ok: true })]),
    );
  });
});
