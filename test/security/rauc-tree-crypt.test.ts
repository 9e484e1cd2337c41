/**
 * `--root TREE system update FILE` has RAUC's client read the bundle (`rauc info`) with the tree's
 * system.conf. For a crypt bundle (RAUC 1.8's encrypted format) the client also reads the
 * `[encryption] key` (and `cert`) that configuration names, to decrypt it: by the tree's name, so a
 * FIFO there held the command until Ctrl-C and a link was followed, as the keyring's were before
 * ba25d9cd. Now they are read once through the tree's folders (tree-conf.ts, as the keyring) and
 * RAUC is given copies. The real rauc and a real crypt bundle (mksquashfs, `rauc encrypt`).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execRauc } from '../../src/core/update/index.js';
import { tempDir } from '../helpers/pkg.js';
import { selfSignedRsa } from '../helpers/self-signed.js';
import { countedFifo } from './counted-fifo.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** NAME.key and its self-signed NAME.pem (CN=NAME) in `dir`. */
const cert = (dir: string, name: string) =>
  selfSignedRsa(path.join(dir, `${name}.key`), path.join(dir, `${name}.pem`), `/CN=${name}`);

/** A tree whose etc/rauc holds the signer's certificate (its keyring) and a crypt bundle for `recipient`. */
function treeWithCryptBundle(): { root: string; bundle: string } {
  const root = tempDir('bp-rauc-crypt-');
  const rauc = path.join(root, 'etc/rauc');
  mkdirSync(rauc, { recursive: true });
  cert(rauc, 'signer');
  cert(rauc, 'recipient');
  const content = path.join(root, 'content');
  mkdirSync(content);
  writeFileSync(
    path.join(content, 'manifest.raucm'),
    '[update]\ncompatible=sec-test\nversion=1\n\n[bundle]\nformat=crypt\n\n[image.rootfs]\nfilename=rootfs.img\n',
  );
  // Random: a squashfs of RAUC's crypt format must be larger than one 4 KiB block.
  writeFileSync(path.join(content, 'rootfs.img'), randomBytes(65536));
  const signed = path.join(root, 'signed.raucb');
  const bundle = path.join(root, 'update.raucb');
  const run = (args: string[]) => {
    const r = spawnSync('rauc', args, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  run([
    'bundle',
    `--cert=${path.join(rauc, 'signer.pem')}`,
    `--key=${path.join(rauc, 'signer.key')}`,
    content,
    signed,
  ]);
  run([
    'encrypt',
    `--keyring=${path.join(rauc, 'signer.pem')}`,
    `--to=${path.join(rauc, 'recipient.pem')}`,
    signed,
    bundle,
  ]);
  return { root, bundle };
}

/** Its system.conf: the keyring and `cert` relative, as RAUC resolves them from its folder. */
const conf = (key: string) =>
  '[system]\ncompatible=sec-test\nbootloader=noop\n\n[keyring]\npath=signer.pem\n\n' +
  `[encryption]\ncert=recipient.pem\nkey=${key}\n\n[slot.rootfs.0]\ndevice=/dev/null\ntype=raw\nbootname=A\n`;

const info = (root: string, bundle: string) =>
  execRauc({ conf: path.join(root, 'etc/rauc/system.conf'), tree: root })
    .run(['info', '--output-format=json', bundle])
    .then(
      (r) => `rauc ran (${r.code}): ${r.stdout}${r.stderr}`,
      (err: unknown) => String(err),
    );

describe.skipIf(!has('rauc') || !has('mksquashfs'))("a tree's [encryption] key and cert", () => {
  it('a FIFO at its key does not hold a crypt bundle’s check; a regular one still decrypts it', async () => {
    const { root, bundle } = treeWithCryptBundle();
    // Its own key, named relative to its system.conf: decrypted and verified with the copies.
    writeFileSync(path.join(root, 'etc/rauc/system.conf'), conf('recipient.key'));
    expect(await info(root, bundle)).toMatch(/rauc ran \(0\).*"compatible":"sec-test"/s);
    // A FIFO at the key's name: RAUC's client opened it to decrypt (and, with no writer, waited).
    const fifo = path.join(root, 'etc/rauc/fifo.key');
    // Named whole (as RAUC reads a relative one beside the copy of system.conf given it, where none is).
    writeFileSync(
      path.join(root, 'etc/rauc/system.conf'),
      conf(fifo).replace('cert=recipient.pem', `cert=${path.join(root, 'etc/rauc/recipient.pem')}`),
    );
    const counted = countedFifo(fifo);
    try {
      const r = await info(root, bundle);
      expect(counted.opens(), r).toBe(0);
      expect(r).toMatch(/\[encryption\] key .*fifo\.key is not a regular file/);
    } finally {
      await counted.stop();
    }
  });
});
