/**
 * `blueprint --root TREE status` asks RAUC for the slots with the tree's own configuration (`rauc
 * --conf=TREE/etc/rauc/system.conf status`, since b6444174 for status, the console's Dashboard and
 * the web overview; `system status` before). RAUC runs the `[handlers] system-info` program a
 * system.conf names as soon as it has read it, in the client, whatever the command: a tree that is
 * anyone's (an image mounted to inspect, another user's folder) had root run a program of its
 * choosing (one of theirs, or the host's own /sbin/reboot) by being looked at. Now a tree's
 * configuration (a root other than /) is read once as untrusted (no link, no FIFO, 64 KiB), refused
 * when it names a program RAUC's client would run, and RAUC reads that judged copy. The programs
 * of RAUC's service (the bootloader backend, install handlers: the box's own config names one) are
 * left as they are. The real executable and the real rauc (1.8), when installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execRauc } from '../../src/core/update/index.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';
import { selfSignedRsa } from '../helpers/self-signed.js';
import { countedFifo } from './counted-fifo.js';

const hasRauc = spawnSync('sh', ['-c', 'command -v rauc']).status === 0;

/** A tree whose system.conf has RAUC run `program` (a script that leaves a mark) as system-info. */
function tree(conf: (program: string) => string): { root: string; mark: string } {
  const root = tempDir('bp-rauc-tree-');
  const mark = path.join(root, 'ran');
  const program = path.join(root, 'info.sh');
  writeFileSync(program, `#!/bin/sh\ntouch '${mark}'\necho RAUC_SYSTEM_SERIAL=1\n`);
  chmodSync(program, 0o755);
  mkdirSync(path.join(root, 'etc/rauc'), { recursive: true });
  writeFileSync(path.join(root, 'etc/rauc/system.conf'), conf(program));
  return { root, mark };
}

const base =
  '[system]\ncompatible=sec-test\nbootloader=noop\n\n[slot.rootfs.0]\ndevice=/dev/null\ntype=raw\nbootname=A\n';

/**
 * `rauc info BUNDLE` as `system update FILE` asks it under --root TREE (the tree's runner): RAUC's
 * stderr when it ran ("rauc ran: …"), else the refusal's text.
 */
const treeInfo = (root: string, bundle: string): Promise<string> =>
  execRauc({ conf: path.join(root, 'etc/rauc/system.conf'), tree: root })
    .run(['info', '--output-format=json', bundle])
    .then(
      (res) => `rauc ran: ${res.stderr}`,
      (err: unknown) => String(err),
    );

const status = (root: string, ...cmd: string[]) =>
  spawnSync(blueprintExe, ['--root', root, ...(cmd.length ? cmd : ['status'])], {
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
    env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: root, BLUEPRINT_RAUC_TIMEOUT_MS: '5000' },
  });

describe.skipIf(!hasRauc)("a tree's RAUC configuration", () => {
  it('naming a system-info handler: status does not have RAUC run it', () => {
    const { root, mark } = tree((p) => `${base}\n[handlers]\nsystem-info=${p}\n`);
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(mark), 'RAUC ran the tree’s system-info program as root').toBe(false);
    expect(r.stdout).toMatch(/system: version unknown, slots unknown \(.*system-info/);
  });

  it('spelt another way (spaces, a locale suffix) or in system status: refused as well', () => {
    const { root, mark } = tree((p) => `${base}\n[handlers]\n  system-info[en] = ${p}\nsystem-info = ${p}\n`);
    const r = status(root, 'system', 'status');
    expect(r.signal).toBeNull();
    expect(existsSync(mark)).toBe(false);
    expect(r.stdout + r.stderr).toMatch(/unavailable \(.*system-info/);
  });

  it('a NUL byte after [handlers] (GLib reads the group up to it): refused as well', () => {
    // GLib's key file parser reads a line as a C string: `[handlers]\0x` is the group handlers to
    // RAUC (it ran the program: seen with rauc 1.8), and was no group at all to our reading.
    const { root, mark } = tree((p) => `${base}\n[handlers]\0x\nsystem-info=${p}\n`);
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(mark), 'RAUC ran the tree’s system-info program as root').toBe(false);
    expect(r.stdout).toMatch(/slots unknown \(.*NUL/);
  });

  it('its data-directory is not made: RAUC made that folder as root wherever the tree said', () => {
    // e.g. /etc/nologin as a folder: pam_nologin then refuses every login but root's.
    const { root, mark } = tree(() => base);
    const made = path.join(root, 'not-yet', 'nologin');
    writeFileSync(
      path.join(root, 'etc/rauc/system.conf'),
      base.replace('[system]\n', `[system]\ndata-directory=${made}\n`),
    );
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(made), 'RAUC made the folder the tree named').toBe(false);
    expect(existsSync(mark)).toBe(false);
    // RAUC read the rest and went on to its service (none runs here), as before.
    expect(r.stdout).toMatch(/slots unknown \(RAUC cannot answer: .*D-Bus/);
  });

  it('its variant-file is not read: a FIFO there held system status for good', async () => {
    const { root, mark } = tree(() => base);
    const fifo = path.join(root, 'variant');
    writeFileSync(
      path.join(root, 'etc/rauc/system.conf'),
      base.replace('[system]\n', `[system]\nvariant-file=${fifo}\n`),
    );
    const counted = countedFifo(fifo);
    try {
      const r = await new Promise<{ status: number | null; out: string }>((done) => {
        const c = spawn(blueprintExe, ['--root', root, 'system', 'status'], {
          env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: root },
        });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (out += d));
        c.on('close', (status) => done({ status, out }));
      });
      // Before: rauc's client opened it as it read the configuration (and, with no writer, waited).
      expect(counted.opens(), r.out).toBe(0);
      expect(existsSync(mark)).toBe(false);
      expect(r.out).toMatch(/D-Bus/);
    } finally {
      await counted.stop();
    }
  });

  it('a link at its name is not followed (the file another user swaps in)', () => {
    const { root, mark } = tree((p) => `${base}\n[handlers]\nsystem-info=${p}\n`);
    const conf = path.join(root, 'etc/rauc/system.conf');
    renameSync(conf, path.join(root, 'elsewhere.conf'));
    spawnSync('ln', ['-s', path.join(root, 'elsewhere.conf'), conf]);
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(mark)).toBe(false);
    expect(r.stdout).toMatch(/slots unknown \(.*link/);
  });

  it("the box's own kind of configuration (a bootloader backend) is still handed to RAUC", () => {
    const { root, mark } = tree(
      (p) => `${base.replace('noop', 'custom')}\n[handlers]\nbootloader-custom-backend=${p}\n`,
    );
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(mark)).toBe(false);
    // RAUC read it and went on to its service (none runs here), as before.
    expect(r.stdout).toMatch(/slots unknown \(RAUC cannot answer: .*D-Bus/);
  });

  /**
   * A bundle RAUC frames and whose CMS signature it parses, so that it goes on to read the keyring
   * to check it (a self-signed signer; the check itself fails, which is not what is judged here).
   */
  function framedBundle(dir: string): string {
    const key = path.join(dir, 'k.pem');
    const cert = path.join(dir, 'c.pem');
    const data = path.join(dir, 'payload');
    const sig = path.join(dir, 'sig.der');
    selfSignedRsa(key, cert, '/CN=t');
    writeFileSync(data, Buffer.alloc(8192, 7));
    spawnSync('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-in',
      data,
      '-signer',
      cert,
      '-inkey',
      key,
      '-outform',
      'DER',
      '-out',
      sig,
    ]);
    const signature = readFileSync(sig);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(signature.length));
    const bundle = path.join(dir, 'update.raucb');
    writeFileSync(bundle, Buffer.concat([readFileSync(data), signature, size]));
    return bundle;
  }

  it('its keyring is read once and judged: a FIFO there held a bundle check (system update FILE) until Ctrl-C', async () => {
    const { root, mark } = tree(() => base);
    const fifo = path.join(root, 'etc/rauc/keyring.pem');
    writeFileSync(path.join(root, 'etc/rauc/system.conf'), `${base}\n[keyring]\npath=${fifo}\n`);
    const bundle = framedBundle(root);
    const counted = countedFifo(fifo);
    try {
      const r = await treeInfo(root, bundle);
      // Before: rauc's client opened it to check the bundle (and, with no writer, waited).
      expect(counted.opens(), r).toBe(0);
      expect(r).toMatch(/keyring\] path .*keyring\.pem is not a regular file/);
      expect(existsSync(mark)).toBe(false);
    } finally {
      await counted.stop();
    }
  });

  it('its keyring directory is judged too: a FIFO among its hashed certificates held a bundle check', async () => {
    // [keyring] directory= (OpenSSL's hashed folder: the signer's issuer is opened as HASH.0).
    const { root, mark } = tree(() => base);
    const bundle = framedBundle(root);
    const certs = path.join(root, 'etc/rauc/certs');
    mkdirSync(certs);
    const hash = spawnSync('openssl', ['x509', '-hash', '-noout', '-in', path.join(root, 'c.pem')], {
      encoding: 'utf8',
    }).stdout.trim();
    const fifo = path.join(certs, `${hash}.0`);
    writeFileSync(path.join(root, 'etc/rauc/system.conf'), `${base}\n[keyring]\ndirectory=${certs}\n`);
    const counted = countedFifo(fifo);
    try {
      const r = await treeInfo(root, bundle);
      expect(counted.opens(), r).toBe(0);
      expect(r).toMatch(/keyring\] directory .*certs.* is not a regular file/);
      expect(existsSync(mark)).toBe(false);
    } finally {
      await counted.stop();
    }
    // The folder as c_rehash makes it (HASH.0 a link to the certificate beside it), named relative
    // to the tree's system.conf: RAUC checks with a copy of it, and goes on to the payload.
    spawnSync('rm', [fifo]);
    spawnSync('cp', [path.join(root, 'c.pem'), path.join(certs, 'signer.pem')]);
    spawnSync('ln', ['-s', 'signer.pem', fifo]);
    writeFileSync(path.join(root, 'etc/rauc/system.conf'), `${base}\n[keyring]\ndirectory=certs\n`);
    const rauc = execRauc({ conf: path.join(root, 'etc/rauc/system.conf'), tree: root });
    const ok = await rauc.run(['info', '--output-format=json', bundle]);
    expect(ok.stderr).toMatch(/Verified detached signature by 'CN = t'/);
    // A link that leads out of the folder (here to a file of the tree beside it) is not followed.
    spawnSync('rm', [fifo]);
    spawnSync('ln', ['-s', '../../../c.pem', fifo]);
    const out = await treeInfo(root, bundle);
    expect(out).toMatch(/is a link out of the folder/);
  });

  // Relative, as RAUC resolves it: from the tree's system.conf's folder (the judged copy's folder
  // before, where no keyring was).
  it("a tree's regular keyring, named relative to its system.conf, is what RAUC checks with", async () => {
    const { root } = tree(() => base);
    const bundle = framedBundle(root);
    writeFileSync(path.join(root, 'etc/rauc/system.conf'), `${base}\n[keyring]\npath=keyring.pem\n`);
    const rauc = execRauc({ conf: path.join(root, 'etc/rauc/system.conf'), tree: root });
    // No keyring there: RAUC says so, naming the tree's file (not a copy's).
    const none = await rauc.run(['info', '--output-format=json', bundle]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain(path.join(root, 'etc/rauc/keyring.pem'));
    // The signer's own certificate as the keyring: RAUC's check of the signature passes, and it
    // goes on to the payload (no squashfs: it fails there, past the keyring).
    spawnSync('cp', [path.join(root, 'c.pem'), path.join(root, 'etc/rauc/keyring.pem')]);
    const r = await rauc.run(['info', '--output-format=json', bundle]);
    expect(r.stderr).toMatch(/Verified detached signature by 'CN = t'/);
    expect(r.stderr).toMatch(/SQUASHFS/);
  });

  // No link of the tree is followed, in any folder from the tree's own down (not only at the file's
  // name): TREE/etc -> /elsewhere had RAUC's configuration read from there, a keyring folder or a
  // folder on a keyring's way that is a link had root's rauc check bundles with what it led to.
  it('TREE/etc a link out: the system.conf it leads to is not read', () => {
    const outside = tempDir('bp-rauc-outside-');
    const { root, mark } = tree(() => base);
    mkdirSync(path.join(outside, 'rauc'));
    writeFileSync(
      path.join(outside, 'rauc/system.conf'),
      `${base}\n[handlers]\nsystem-info=${path.join(root, 'info.sh')}\n`,
    );
    spawnSync('rm', ['-r', path.join(root, 'etc')]);
    symlinkSync(outside, path.join(root, 'etc'));
    const r = status(root, 'system', 'status');
    expect(existsSync(mark), 'RAUC ran the system-info program of the file the link led to').toBe(false);
    // Refused for the link, before a byte of the file beyond it was read (not for its handler).
    expect(r.stdout + r.stderr).toMatch(/system\.conf: it is reached through etc, a link of the tree/);
  });

  it('a keyring folder of the tree that is a link out: its certificates are not what RAUC checks with', async () => {
    const outside = tempDir('bp-rauc-outside-');
    const { root } = tree(() => base);
    const bundle = framedBundle(root);
    const hash = spawnSync('openssl', ['x509', '-hash', '-noout', '-in', path.join(root, 'c.pem')], {
      encoding: 'utf8',
    }).stdout.trim();
    spawnSync('cp', [path.join(root, 'c.pem'), path.join(outside, `${hash}.0`)]);
    symlinkSync(outside, path.join(root, 'etc/rauc/keyring-dir'));
    for (const named of ['keyring-dir', path.join(root, 'etc/rauc/keyring-dir')]) {
      writeFileSync(path.join(root, 'etc/rauc/system.conf'), `${base}\n[keyring]\ndirectory=${named}\n`);
      const r = await treeInfo(root, bundle);
      expect(r).not.toMatch(/Verified detached signature/);
      expect(r).toMatch(
        /keyring\] directory .*keyring-dir is reached through etc\/rauc\/keyring-dir, a link of the tree/,
      );
    }
  });

  it('a keyring path a/b/c.pem where b is a link out (or ../ leaves the tree): not followed', async () => {
    const outside = tempDir('bp-rauc-outside-');
    const { root } = tree(() => base);
    const bundle = framedBundle(root);
    spawnSync('cp', [path.join(root, 'c.pem'), path.join(outside, 'c.pem')]);
    mkdirSync(path.join(root, 'etc/rauc/a'));
    symlinkSync(outside, path.join(root, 'etc/rauc/a/b'));
    for (const named of ['a/b/c.pem', path.join(root, 'etc/rauc/a/b/c.pem')]) {
      writeFileSync(path.join(root, 'etc/rauc/system.conf'), `${base}\n[keyring]\npath=${named}\n`);
      const r = await treeInfo(root, bundle);
      expect(r).not.toMatch(/Verified detached signature/);
      expect(r).toMatch(
        /keyring\] path .*a\/b\/c\.pem is reached through etc\/rauc\/a\/b, a link of the tree/,
      );
    }
    const up = path.relative(path.join(root, 'etc/rauc'), path.join(outside, 'c.pem'));
    writeFileSync(path.join(root, 'etc/rauc/system.conf'), `${base}\n[keyring]\npath=${up}\n`);
    const r = await treeInfo(root, bundle);
    expect(r).not.toMatch(/Verified detached signature/);
    expect(r).toMatch(/climbs out of the tree/);
  });
});
